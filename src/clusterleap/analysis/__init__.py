"""Analyses on top of results: cluster grades, types, profiles, gaps, policy actions and trends over years.

Modules are imported on use (``from clusterleap.analysis.grades import assign_grades``) so that importing the
package stays light.
"""
