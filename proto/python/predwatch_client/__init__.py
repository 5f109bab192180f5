"""Helpers over predwatchd's gRPC API (predwatch.v1.MonitorService): see README.md."""
from predwatch_client.client import Client, PartialAnswerWarning

__all__ = ["Client", "PartialAnswerWarning"]
