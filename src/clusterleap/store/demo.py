"""The demonstration workspace: the built-in framework ``world-class``, the demo recipe and six yearly rounds of
the illustrative (invented) data, each collected, accepted, evaluated and published, so a new user sees complete
rounds at once. With ``collecting`` the last round is left open for data entry instead (as the browser tests use
it). Demo accounts get random passwords, printed once; there is no default password."""

from __future__ import annotations

import math
import secrets
from importlib import resources
from pathlib import Path

import clusterleap as cl
from clusterleap.illustrative import illustrative_frame

from . import Store
from .accounts import Actor, add_user
from .models import Cluster, Submission, User
from .workspace import add_framework, add_recipe, create_round, evaluate_round, form_fields, publish_round

__all__ = ["DEMO_USERS", "seed_demo"]

#: The demo accounts: user name, role and (for contributors) clusters.
DEMO_USERS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("admin", "admin", ()),
    ("analyst", "analyst", ()),
    ("contributor", "contributor", ("CN001", "CN002")),
    ("viewer", "viewer", ()),
)


def _demo_recipe() -> cl.Recipe:
    return cl.Recipe.load(Path(str(resources.files("clusterleap") / "data" / "demo-recipe.yaml")))


def seed_demo(store: Store, collecting: bool = False, n_domestic: int = 80, n_benchmark: int = 10,
              years: range = range(2019, 2025)) -> dict[str, str]:
    """Seed an empty workspace; returns the demo accounts' user names and passwords."""
    frame = illustrative_frame(n_domestic=n_domestic, n_benchmark=n_benchmark, years=years)
    system = Actor(0, "demo-seed", "admin")
    passwords = {name: secrets.token_urlsafe(12) for name, _, _ in DEMO_USERS}
    with store.session() as db:
        if db.query(User).count():
            raise cl.ClusterleapError("the workspace has accounts already: --demo seeds only an empty workspace")
        for name, role, units in DEMO_USERS:
            add_user(db, name, passwords[name], role, units, display_name=f"Demo {role}")
        fw = add_framework(db, system, cl.load_framework("world-class"), origin="built-in")
        rc = add_recipe(db, system, _demo_recipe(), "world-class-demo")
        first = frame.drop_duplicates("unit")
        for u in first.to_dict(orient="records"):
            db.add(Cluster(code=str(u["unit"]), name=str(u["name"]), name_zh=str(u["name_zh"]), sector=str(u["sector"]),
                           region=str(u["region"]), province=u["province"] if isinstance(u["province"], str) else "",
                           benchmark=bool(u["benchmark"]), illustrative=True))
        db.flush()
    for year in years:
        last = year == years[-1]
        with store.session() as db:
            rnd = create_round(db, system, year, fw.id, rc.id, title=f"Evaluation round {year} (illustrative)")
            codes = [f.code for f in form_fields(db, rnd)]
            for r in frame[frame.year == year].to_dict(orient="records"):
                values = {c: (None if r[c] is None or (isinstance(r[c], float) and math.isnan(r[c]))
                              else float(r[c])) for c in codes}
                if last and collecting:
                    if r["unit"] in ("CN001", "CN002"):
                        continue  # the demo contributor's clusters: left for data entry
                    db.add(Submission(round_id=rnd.id, unit=r["unit"], version=1, state="submitted",
                                      values=values, created_by="demo-seed"))
                    continue
                db.add(Submission(round_id=rnd.id, unit=r["unit"], version=1, state="submitted", values=values,
                                  created_by="demo-seed"))
                db.add(Submission(round_id=rnd.id, unit=r["unit"], version=2, state="accepted", values=values,
                                  created_by="demo-seed"))
            db.flush()
            if not (last and collecting):
                run = evaluate_round(db, system, rnd.id)
                publish_round(db, system, rnd.id, run.id)
    return passwords
