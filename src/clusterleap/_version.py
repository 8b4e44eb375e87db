"""The installed version of clusterleap (recorded in every result's provenance and report)."""

from importlib.metadata import PackageNotFoundError, version

__all__ = ["__version__"]

try:
    __version__ = version("clusterleap")
except PackageNotFoundError:  # running from a source tree
    __version__ = "0.0.0+source"
