"""The ceiling: a bare FastAPI endpoint that does one INSERT, on the same stack as the service.

    DATABASE_URL=... python -m bench.ceiling --port 8200

``POST /insert`` writes one row in its own transaction through an engine made by ``hirebridge.db.engine.make_engine``
(the service's own engine settings: pool, pre-ping or not, hidden parameters), in a plain ``def`` route (FastAPI
runs it on its thread pool), served by uvicorn with the service's settings (no access log). No validation, no
authentication, no ORM: what any endpoint of this stack costs at the least.
"""

from __future__ import annotations

import argparse
import os

import uvicorn
from fastapi import FastAPI
from sqlalchemy import Column, Integer, MetaData, String, Table, insert

from hirebridge.db.engine import make_engine

metadata = MetaData()
rows = Table("bench_rows", metadata, Column("id", Integer, primary_key=True), Column("payload", String(100)))


def create_app(database_url: str) -> FastAPI:
    engine = make_engine(database_url)
    metadata.create_all(engine)
    app = FastAPI()

    @app.post("/insert")
    def insert_one() -> dict[str, bool]:
        with engine.begin() as connection:
            connection.execute(insert(rows).values(payload="bench"))
        return {"success": True}

    @app.get("/healthz")
    def healthz() -> dict[str, str]:
        return {"status": "ok"}

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    app = create_app(os.environ["DATABASE_URL"])
    uvicorn.run(app, host="127.0.0.1", port=args.port, access_log=False, log_config=None, log_level="warning")


if __name__ == "__main__":
    main()
