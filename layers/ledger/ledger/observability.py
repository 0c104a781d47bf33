"""One Powertools logger and metrics object per process (service and namespace come from the env)."""

from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.metrics import MetricUnit

logger = Logger()
metrics = Metrics()


def count(name: str, value: int = 1) -> None:
    metrics.add_metric(name=name, unit=MetricUnit.Count, value=value)


def flush_metrics() -> None:
    """Publish this invocation's metrics (EMF). A metrics failure never changes a response: the
    change it describes may already be committed."""
    if not metrics.metric_set:
        return
    try:
        metrics.flush_metrics()
    except Exception:  # a metrics failure must not fail the request
        logger.exception("metrics could not be published")
