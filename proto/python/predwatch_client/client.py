"""Client: one channel to predwatchd and the calls people make most from Python.

Each method is one RPC with a deadline (`timeout`, seconds); the messages are the generated
ones of predwatch.v1 (predwatch/v1/monitor_pb2.py). A bearer token (docs/SECURITY.md) goes
into every call's metadata; `root_certificates` (PEM bytes) switches to TLS.

With several replicas answering for each other (grpc.peers, docs/KAFKA.md "Several
replicas") any one address serves every stream; lists that lack a replica which did not
answer raise a `PartialAnswerWarning` naming it.
"""
import warnings

import grpc

from predwatch.v1 import monitor_pb2, monitor_pb2_grpc


class PartialAnswerWarning(UserWarning):
    """A list misses what a replica holds: it did not answer (grpc.peers)."""


def _warn_unreachable(response):
    for r in response.unreachable_replicas:
        warnings.warn(f"replica did not answer, its part is missing: {r}", PartialAnswerWarning,
                      stacklevel=3)


class Client:
    def __init__(self, address, token=None, root_certificates=None, timeout=10.0):
        if root_certificates is not None:
            creds = grpc.ssl_channel_credentials(root_certificates=root_certificates)
            self.channel = grpc.secure_channel(address, creds)
        else:
            self.channel = grpc.insecure_channel(address)
        self.stub = monitor_pb2_grpc.MonitorServiceStub(self.channel)
        self.timeout = timeout
        self._metadata = (("authorization", "Bearer " + token),) if token else None

    def close(self):
        self.channel.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _call(self, method, request, timeout=None):
        return method(request, timeout=timeout or self.timeout, metadata=self._metadata)

    # ---- streams and windows ----

    def streams(self, of=""):
        """The streams (StreamInfo: windows, fill, baseline, reference, model_version, the
        replica holding it); `of`: only that configured stream and its model versions."""
        resp = self._call(self.stub.ListStreams, monitor_pb2.ListStreamsRequest(base_stream=of))
        _warn_unreachable(resp)
        return list(resp.streams)

    def window_stats(self, stream, window="", classes=(), dense=False, top_pairs=0,
                     sections=()):
        """GetWindowStatsResponse of one window ("" = the first configured)."""
        req = monitor_pb2.GetWindowStatsRequest(stream=stream, window=window,
                                                classes=list(classes),
                                                dense_cooccurrence=dense, top_pairs=top_pairs,
                                                sections=list(sections))
        return self._call(self.stub.GetWindowStats, req)

    def class_balance(self, stream, window=""):
        """{class name: (images with it, objects)} of a window."""
        stats = self.window_stats(stream, window,
                                  sections=[monitor_pb2.STATS_SECTION_CLASS_BALANCE]).stats
        return {c.name: (c.images, c.objects) for c in stats.classes}

    def cooccurrence(self, stream, window=""):
        """(class names, C x C list of lists): images with both classes; [i][i] = images
        with class i."""
        r = self.window_stats(stream, window, dense=True, top_pairs=1)
        names = list(r.stats.class_names)
        c = len(names)
        cells = list(r.dense_cooccurrence)
        return names, [cells[i * c:(i + 1) * c] for i in range(c)]

    # ---- drift and alerts ----

    def drift(self, stream, flagged_only=False):
        """The latest evaluation's DriftScores of a stream (every window, baseline and
        reference)."""
        scores = self._call(self.stub.GetDrift, monitor_pb2.GetDriftRequest(stream=stream)).scores
        return [s for s in scores if s.flagged or not flagged_only]

    def alerts(self, stream="", firing_only=False):
        """Pending and firing alerts (one per stream, kind and subject)."""
        resp = self._call(self.stub.ListAlerts, monitor_pb2.ListAlertsRequest(stream=stream))
        _warn_unreachable(resp)
        alerts = resp.alerts
        firing = monitor_pb2.Alert.STATE_FIRING
        return [a for a in alerts if a.state == firing or not firing_only]

    def watch_alerts(self, stream="", timeout=None):
        """Iterates AlertTransitions as they happen (the current alerts first, snapshot=True).
        Blocks; `timeout` ends the stream (grpc.RpcError DEADLINE_EXCEEDED)."""
        call = self.stub.WatchAlerts(monitor_pb2.WatchAlertsRequest(stream=stream),
                                     timeout=timeout, metadata=self._metadata)
        return (m.transition for m in call)

    def exemplars(self, stream, class_name, window="", limit=0):
        """Exemplar frames (frame id, time, image uri) of a class in a window."""
        req = monitor_pb2.GetExemplarsRequest(stream=stream, window=window,
                                              class_name=class_name, limit=limit)
        return list(self._call(self.stub.GetExemplars, req).exemplars)

    def reference(self, stream):
        """ReferenceInfo of the stream's learned reference (state, frames, inherited_from)."""
        return self._call(self.stub.GetReference,
                          monitor_pb2.GetReferenceRequest(stream=stream)).reference
