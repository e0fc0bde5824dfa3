"""The AWS the benchmarks run against: the local runtime's moto server, in this process, with every
declared resource and the demo tenant, and the functions configured as the CDK stack configures them
(log level INFO, metrics on). Tracing stays off: there is no X-Ray daemon here."""

from __future__ import annotations

import io
import logging
import os
import sys
import threading
import time
from dataclasses import dataclass, field
from typing import Any

REGION = "eu-west-1"  # as the local runtime; prices are us-east-1 list prices (bench/prices.py)
# What the deployed functions run with (infra/cdk/functions.py), apart from tracing.
FUNCTION_ENVIRONMENT = {
    "POWERTOOLS_LOG_LEVEL": "INFO",
    "POWERTOOLS_METRICS_DISABLED": "false",
    "POWERTOOLS_METRICS_NAMESPACE": "Switchboard",
    "POWERTOOLS_TRACE_DISABLED": "true",
}


class CountingStream(io.TextIOBase):
    """Stands in for stdout while the functions run: counts the bytes they log (what CloudWatch Logs
    would ingest) and keeps nothing."""

    def __init__(self) -> None:
        self.bytes = 0

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        self.bytes += len(text.encode())
        return len(text)


class ServiceClock:
    """CPU time the stand-ins for AWS and Meta (moto's server, the Graph API simulator) spend serving
    requests in this process, so a function's own CPU time is the process's minus theirs."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.seconds = 0.0

    def wrap(self, serve: Any) -> Any:
        def counted(*args: Any, **kwargs: Any) -> Any:
            start = time.thread_time()
            try:
                return serve(*args, **kwargs)  # moto's app is atomic: its answer is a list already
            finally:
                spent = time.thread_time() - start
                with self._lock:
                    self.seconds += spent
        return counted


def own_cpu(env: LocalAws) -> tuple[float, float]:
    """A mark to measure own CPU time from: (process CPU, services' CPU)."""
    return time.process_time(), env.services.seconds


def own_cpu_since(env: LocalAws, mark: tuple[float, float]) -> float:
    return (time.process_time() - mark[0]) - (env.services.seconds - mark[1])


@dataclass
class LocalAws:
    moto: Any
    created: Any
    demo: Any
    log: CountingStream
    gateway: Any = None  # the local API gateway, serving the Graph API simulator under /_graph
    graph: Any = None
    server: Any = None
    services: ServiceClock = field(default_factory=ServiceClock)

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
        if self.graph is not None:
            self.graph.close()
        self.moto.stop()


def start() -> LocalAws:
    """Start moto's server and point every boto3 client of this process at it. Call before any function
    handler is imported: Powertools' Logger binds stdout when a handler module is imported."""
    log = CountingStream()
    sys.stdout = log  # the report is printed to sys.__stdout__
    logging.getLogger("werkzeug").setLevel(logging.ERROR)

    from infra.local.aws_server import AtomicMotoServer

    # The benchmarks empty the queues between rounds (moto's FIFO send slows as a queue grows).
    os.environ["MOTO_SQS_ENFORCE_STRICT_QUEUE_PURGE_BEHAVIOUR"] = "false"
    services = ServiceClock()
    moto = AtomicMotoServer()
    moto._server.app = services.wrap(moto._server.app)  # werkzeug reads server.app per request
    moto.start()
    os.environ.update({
        "AWS_ENDPOINT_URL": moto.endpoint, "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench",
        "AWS_DEFAULT_REGION": REGION, "AWS_REGION": REGION, **FUNCTION_ENVIRONMENT,
    })
    os.environ.pop("AWS_PROFILE", None)
    from aws_lambda_powertools.utilities import parameters

    from infra.local.api_server import Gateway, serve
    from infra.local.graph_simulator import Faults, GraphSimulator

    # Meta's Graph API for the send worker: the local runtime's simulator, over HTTP as in AWS. Status
    # webhooks are not posted back: the benchmarks post the statuses they measure themselves.
    gateway = Gateway()
    server = serve(gateway, "127.0.0.1", 0, lambda line: None)
    url = f"http://127.0.0.1:{server.server_address[1]}"
    graph = GraphSimulator(public_url=f"{url}/_graph", faults=Faults(status_callbacks=False))
    gateway.mount("/_graph", services.wrap(graph.handle))
    threading.Thread(target=server.serve_forever, name="bench-api", daemon=True).start()
    os.environ["GRAPH_API_BASE_URL"] = f"{url}/_graph/v25.0"

    from infra.local import resources, scheduler, seed
    from switchboard.services import reset_services

    created = resources.create_all(local=True)
    os.environ.update(created.environment)
    os.environ.update(scheduler.prepare())  # the SLA timers' and campaigns' schedules, as the local runtime
    reset_services()
    parameters.clear_caches()
    demo = seed.DemoSettings.from_env()
    seed.seed_demo(demo)
    return LocalAws(moto, created, demo, log, gateway, graph, server, services)
