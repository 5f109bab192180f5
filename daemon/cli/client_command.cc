// `predwatch streams|stats|drift|alerts|exemplars|health`, `predwatch baseline
// pull|push|snapshot` and `predwatch reference show|pin|reset`: a client of predwatchd's query API
// (proto/predwatch/v1/monitor.proto) and of the standard health service.
//
// Every command takes --addr (default localhost:50051), --timeout (seconds per call),
// --json and the credentials: --token-file (else the PREDWATCH_TOKEN environment variable)
// sends `authorization: Bearer <token>` on every call; --tls (system roots), --tls-ca,
// --tls-cert/--tls-key (mTLS) and --tls-server-name make the channel TLS. Credential files
// that cannot be read are usage errors (exit 2), reported before any call. Human output: aligned
// tables and terminal heatmaps; --json: the API's messages in protobuf's JSON mapping (field names
// as in the .proto), except `stats --json`, which has the shape of `predwatch dataset report
// --json` ({"images", "objects", "classes", "cooccurrence", "objects_distribution", "per_image",
// "suspicious"}; `stats --html OUT.html` writes it as the page of daemon/cli/html_report.h), and
// `alerts --watch --json`, one AlertTransition per line. Exit codes: 0 ok, 1 an
// error reported on stderr (the gRPC status and message), 2 usage. `health` exits 0 only when the
// service is SERVING (Docker HEALTHCHECK uses it).
//
// The `baseline` subcommands join the `baseline` group when another family registered one
// (daemon/cli/baseline_command.cc), else create it.
#include <google/protobuf/util/json_util.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <set>
#include <sstream>

#include "daemon/api/api_auth.h"
#include "daemon/api/api_convert.h"
#include "daemon/baseline/baseline_file.h"
#include "daemon/cli/command.h"
#include "daemon/cli/heatmap_render.h"
#include "daemon/cli/html_report.h"
#include "daemon/cli/progress.h"
#include "daemon/cli/stats_report.h"
#include "daemon/cli/text_table.h"
#include "daemon/cli/window_exemplars.h"
#include "daemon/common/json_writer.h"
#include "daemon/common/signal_waiter.h"
#include "daemon/convert/stats_convert.h"
#include "grpc/health/v1/health.grpc.pb.h"
#include "predwatch/v1/monitor.grpc.pb.h"

namespace predwatch::daemon {
namespace {

struct ClientOptions {
  std::string addr = "localhost:50051";
  double timeout_s = 10;
  bool json = false;
  // Credentials as given, then as loaded by load_credentials().
  std::string token_file, tls_ca, tls_cert, tls_key, tls_server_name;
  bool tls = false;
  std::string token;  // "" = send none
  // Read at parse time; the credentials object is made by channel(), after `alerts --watch`
  // started its signal thread (making it starts gRPC's threads, which must inherit the
  // blocked signal mask).
  bool use_tls = false;
  grpc::SslCredentialsOptions ssl;
};

// The content of `path` (a trailing newline removed when `trim`); throws CLI::ValidationError.
std::string read_credential_file(const std::string& option, const std::string& path, bool trim) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream ss;
  if (in) ss << in.rdbuf();
  if (!in || in.bad()) throw CLI::ValidationError(option, "cannot read " + path);
  std::string s = ss.str();
  if (trim) {
    if (!s.empty() && s.back() == '\n') s.pop_back();
    if (!s.empty() && s.back() == '\r') s.pop_back();
  }
  if (s.empty()) throw CLI::ValidationError(option, path + " is empty");
  return s;
}

// Reads the token and TLS files named by the options; throws CLI::ValidationError.
void load_credentials(ClientOptions& o) {
  if (!o.token_file.empty()) {
    o.token = read_credential_file("--token-file", o.token_file, true);
  } else if (const char* env = std::getenv("PREDWATCH_TOKEN"); env != nullptr && *env != '\0') {
    o.token = env;
  }
  for (char c : o.token) {
    if (c <= ' ' || c > '~') {
      throw CLI::ValidationError("--token-file",
                                 "the token may hold printable ASCII without spaces only");
    }
  }
  if (o.tls_cert.empty() != o.tls_key.empty()) {
    throw CLI::ValidationError("--tls-cert", "--tls-cert and --tls-key go together");
  }
  o.use_tls = o.tls || !o.tls_ca.empty() || !o.tls_cert.empty();
  if (!o.token.empty() && !o.use_tls && !is_loopback_bind(o.addr)) {
    std::cerr << "predwatch: warning: the token goes to " << o.addr
              << " without TLS; anyone on the path can read it (--tls-ca, docs/SECURITY.md)\n";
  }
  if (!o.tls_ca.empty()) o.ssl.pem_root_certs = read_credential_file("--tls-ca", o.tls_ca, false);
  if (!o.tls_cert.empty()) {
    o.ssl.pem_cert_chain = read_credential_file("--tls-cert", o.tls_cert, false);
    o.ssl.pem_private_key = read_credential_file("--tls-key", o.tls_key, false);
  }
}

void add_common(CLI::App* cmd, ClientOptions& o) {
  cmd->add_option("--addr", o.addr, "predwatchd gRPC address (host:port)")->capture_default_str();
  cmd->add_option("--timeout", o.timeout_s, "seconds to wait for each call")->capture_default_str();
  cmd->add_flag("--json", o.json, "print JSON instead of tables");
  cmd->add_option("--token-file", o.token_file,
                  "file holding the bearer token sent on every call (default: the "
                  "PREDWATCH_TOKEN environment variable, if set); mutating commands need the "
                  "write token, reads need one when predwatchd sets a read token");
  cmd->add_flag("--tls", o.tls, "connect with TLS, verifying the server against the system CAs");
  cmd->add_option("--tls-ca", o.tls_ca,
                  "PEM CA certificate(s) that signed the server's certificate (implies --tls)");
  cmd->add_option("--tls-cert", o.tls_cert,
                  "PEM client certificate for mTLS (with --tls-key; implies --tls)");
  cmd->add_option("--tls-key", o.tls_key, "PEM private key of --tls-cert");
  cmd->add_option("--tls-server-name", o.tls_server_name,
                  "name to verify in the server's certificate instead of the --addr host");
  cmd->parse_complete_callback([&o] { load_credentials(o); });
}

std::shared_ptr<grpc::Channel> channel(const ClientOptions& o) {
  grpc::ChannelArguments args;
  if (!o.tls_server_name.empty()) args.SetSslTargetNameOverride(o.tls_server_name);
  return grpc::CreateCustomChannel(
      o.addr, o.use_tls ? grpc::SslCredentials(o.ssl) : grpc::InsecureChannelCredentials(), args);
}

// Every call's context: its deadline and the bearer token.
void set_deadline(grpc::ClientContext& ctx, const ClientOptions& o) {
  ctx.set_deadline(std::chrono::system_clock::now() +
                   std::chrono::milliseconds(int64_t(o.timeout_s * 1000)));
  if (!o.token.empty()) ctx.AddMetadata("authorization", "Bearer " + o.token);
}

const char* code_name(grpc::StatusCode c) {
  switch (c) {
    case grpc::StatusCode::OK:
      return "OK";
    case grpc::StatusCode::CANCELLED:
      return "CANCELLED";
    case grpc::StatusCode::INVALID_ARGUMENT:
      return "INVALID_ARGUMENT";
    case grpc::StatusCode::DEADLINE_EXCEEDED:
      return "DEADLINE_EXCEEDED";
    case grpc::StatusCode::NOT_FOUND:
      return "NOT_FOUND";
    case grpc::StatusCode::FAILED_PRECONDITION:
      return "FAILED_PRECONDITION";
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      return "RESOURCE_EXHAUSTED";
    case grpc::StatusCode::UNAVAILABLE:
      return "UNAVAILABLE";
    case grpc::StatusCode::UNIMPLEMENTED:
      return "UNIMPLEMENTED";
    case grpc::StatusCode::UNAUTHENTICATED:
      return "UNAUTHENTICATED";
    case grpc::StatusCode::PERMISSION_DENIED:
      return "PERMISSION_DENIED";
    default:
      return "ERROR";
  }
}

// Reports a failed call; returns the exit code (1).
int fail(const ClientOptions& o, const std::string& what, const grpc::Status& s) {
  std::cerr << "predwatch " << what << ": " << o.addr << ": " << code_name(s.error_code()) << ": "
            << s.error_message() << "\n";
  return 1;
}

// `m` as protobuf JSON; false with `error` when it has none (proto3 JSON cannot write a
// Timestamp outside the years 1..9999, e.g. an event stamped in microseconds).
bool to_json(const google::protobuf::Message& m, std::string& out, std::string& error,
             bool pretty = true) {
  google::protobuf::util::JsonPrintOptions opt;
  opt.add_whitespace = pretty;
  opt.preserve_proto_field_names = true;
  opt.always_print_primitive_fields = true;
  out.clear();
  if (const auto status = google::protobuf::util::MessageToJsonString(m, &out, opt); !status.ok()) {
    error = std::string(status.message());
    return false;
  }
  if (pretty && !out.empty() && out.back() == '\n') out.pop_back();
  return true;
}

// Prints `m` as JSON and a newline on stdout and returns 0; when it has no JSON form, prints
// nothing on stdout, the reason on stderr, and returns 1 (a script must not take an empty
// line for an answer).
int print_json(const std::string& what, const google::protobuf::Message& m, bool pretty = true) {
  std::string out, error;
  if (!to_json(m, out, error, pretty)) {
    std::cerr << "predwatch " << what << ": cannot print the answer as JSON: " << error << "\n";
    return 1;
  }
  std::cout << out << std::endl;
  return 0;
}

std::string format_time(const google::protobuf::Timestamp& ts) {
  if (ts.seconds() == 0 && ts.nanos() == 0) return "-";
  const std::time_t t = std::time_t(ts.seconds());
  std::tm tm{};
  if (!gmtime_r(&t, &tm)) return std::to_string(ts.seconds()) + " s since 1970 (out of range)";
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

std::string subject_text(const google::protobuf::RepeatedPtrField<std::string>& s) {
  if (s.empty()) return "*";
  std::string out = s[0];
  for (int i = 1; i < s.size(); ++i) out += "|" + s[i];
  return out;
}

std::string state_text(v1::Alert::State s) {
  switch (s) {
    case v1::Alert::STATE_PENDING:
      return "pending";
    case v1::Alert::STATE_FIRING:
      return "firing";
    case v1::Alert::STATE_RESOLVED:
      return "resolved";
    case v1::Alert::STATE_DROPPED:
      return "dropped";
    default:
      return "-";
  }
}

std::string format_g3(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.3g", v);
  return buf;
}

std::string percent(double ratio) { return format_number(100.0 * ratio, 1) + "%"; }

std::string against_text(v1::Against a) {
  return a == v1::AGAINST_REFERENCE ? "reference" : "baseline";
}

// "5m", or "5m vs reference".
std::string window_text(const std::string& window, v1::Against a) {
  return a == v1::AGAINST_REFERENCE ? window + " vs reference" : window;
}

std::string reference_state_text(v1::ReferenceInfo::State s) {
  switch (s) {
    case v1::ReferenceInfo::STATE_LEARNING:
      return "learning";
    case v1::ReferenceInfo::STATE_COMPLETE:
      return "complete";
    case v1::ReferenceInfo::STATE_PINNED:
      return "pinned";
    default:
      return "-";
  }
}

// "learning 42%", "complete", "pinned"; "-" when the daemon learns no references.
std::string reference_cell(const v1::StreamInfo& st) {
  if (!st.has_reference()) return "-";
  const v1::ReferenceInfo& r = st.reference();
  if (r.state() == v1::ReferenceInfo::STATE_LEARNING) return "learning " + percent(r.progress());
  if (!r.inherited_from().empty()) return "from " + r.inherited_from();
  return reference_state_text(r.state());
}

// A merged answer of several replicas (grpc.peers) that lacks some: says which, on stderr.
void warn_unreachable(const char* command,
                      const google::protobuf::RepeatedPtrField<std::string>& replicas) {
  for (const std::string& r : replicas) {
    std::cerr << "predwatch " << command << ": a replica did not answer, so what it holds is "
              << "missing below (" << r << ")\n";
  }
}

// ---- commands -------------------------------------------------------------------------

int run_streams(const ClientOptions& o, const std::string& base_stream) {
  auto stub = v1::MonitorService::NewStub(channel(o));
  grpc::ClientContext ctx;
  set_deadline(ctx, o);
  v1::ListStreamsRequest req;
  req.set_base_stream(base_stream);
  v1::ListStreamsResponse resp;
  const grpc::Status s = stub->ListStreams(&ctx, req, &resp);
  if (!s.ok()) return fail(o, "streams", s);
  warn_unreachable("streams", resp.unreachable_replicas());
  if (o.json) return print_json("streams", resp);
  // Several replicas answered (grpc.peers): say which holds each stream.
  const bool replicas = std::any_of(resp.streams().begin(), resp.streams().end(),
                                    [](const v1::StreamInfo& st) { return !st.replica().empty(); });
  std::vector<std::string> header{"stream",  "window",   "type",      "frames", "fill",      "late",
                                  "classes", "baseline", "reference", "events", "last event"};
  if (replicas) header.push_back("replica");
  TextTable t(header);
  for (const auto& st : resp.streams()) {
    for (const auto& w : st.windows()) {
      std::vector<std::string> row{st.stream(),
                                   w.name(),
                                   w.type() == v1::WindowInfo::TYPE_COUNT ? "count" : "time",
                                   std::to_string(w.frames()),
                                   percent(w.fill_ratio()),
                                   std::to_string(w.late_frames()),
                                   std::to_string(st.classes()),
                                   st.has_baseline() ? "yes" : "no",
                                   reference_cell(st),
                                   std::to_string(st.applied_events()),
                                   format_time(st.last_event_time())};
      if (replicas) row.push_back(st.replica().empty() ? "(this one)" : st.replica());
      t.add_row(row);
    }
  }
  std::cout << t.render();
  if (resp.streams().empty()) std::cout << "(no streams yet)\n";
  return 0;
}

struct StatsArgs {
  std::string stream, window;
  std::vector<std::string> classes;
  uint32_t top_pairs = 15;
  std::vector<std::string> heatmaps;
  std::string html;                 // --html OUT.html
  uint32_t exemplar_cells = 20000;  // --exemplar-cells: GetExemplars calls for the report
};

// The HTML report of a window (daemon/cli/html_report.h) without the per-image list (a window
// keeps exemplar frames, not every frame) but with the exemplars of its cells
// (daemon/cli/window_exemplars.h); returns the exit code.
int write_window_html(const ClientOptions& o, const StatsArgs& a,
                      const v1::GetWindowStatsResponse& resp, const core::Stats& st,
                      const std::vector<std::string>& names, const std::string& window_json) {
  auto stub = v1::MonitorService::NewStub(channel(o));
  const ExemplarFetcher fetch = [&](const v1::GetExemplarsRequest& req,
                                    v1::GetExemplarsResponse* out) {
    grpc::ClientContext ctx;
    set_deadline(ctx, o);
    return stub->GetExemplars(&ctx, req, out);
  };
  Progress progress("exemplars");
  WindowExemplarsResult fetched;
  std::string json = stats_report_json(st, names, [&](JsonWriter& w) {
    w.key("exemplars");
    fetched = write_window_exemplars(w, st, names, resp.stream(), resp.window().name(),
                                     a.exemplar_cells, fetch, &progress);
    w.key("report").begin_object();
    w.key("path").value(resp.stream() + " / " + resp.window().name());
    w.key("format").value("live window");
    w.key("version").value(PREDWATCH_VERSION);
    w.key("kind").value("window");
    w.end_object();
    w.key("stream").value(resp.stream());
    w.key("window").raw(window_json);
    write_report_members(w, st, names, ReportImages(st.layout()));
    w.key("suspicious").begin_array().end_array();
  });
  progress.finish();
  if (!fetched.first_error.empty()) {
    std::cerr << "predwatch stats: some exemplars are missing from the report (first error: "
              << fetched.first_error << ")\n";
  }
  if (fetched.skipped > 0) {
    std::cerr << "predwatch stats: exemplars of " << fetched.skipped
              << " cells not fetched (--exemplar-cells " << a.exemplar_cells << ")\n";
  }
  const std::string title = resp.stream() + " / " + resp.window().name();
  const std::string error = write_report_file(a.html, render_html_report(title, std::move(json)));
  if (!error.empty()) {
    std::cerr << "predwatch stats: " << error << "\n";
    return 1;
  }
  return 0;
}

int run_stats(const ClientOptions& o, const StatsArgs& a) {
  if (!a.html.empty()) {
    const std::string error = check_report_file(a.html);
    if (!error.empty()) {
      std::cerr << "predwatch stats: " << error << "\n";
      return 1;
    }
  }
  auto stub = v1::MonitorService::NewStub(channel(o));
  grpc::ClientContext ctx;
  set_deadline(ctx, o);
  v1::GetWindowStatsRequest req;
  req.set_stream(a.stream);
  req.set_window(a.window);
  req.add_sections(v1::STATS_SECTION_TABLES);  // exact state: the report is computed here
  v1::GetWindowStatsResponse resp;
  const grpc::Status s = stub->GetWindowStats(&ctx, req, &resp);
  if (!s.ok()) return fail(o, "stats", s);
  core::StatsData data;
  std::vector<std::string> names;
  const std::string err = stats_from_proto(resp.stats(), &data, &names);
  if (!err.empty()) {
    std::cerr << "predwatch stats: the server's tables do not decode: " << err << "\n";
    return 1;
  }
  const core::Stats st = core::Stats::from_data(data);
  if (o.json || !a.html.empty()) {
    std::string window_json, error;
    if (!to_json(resp.window(), window_json, error, false)) {
      std::cerr << "predwatch stats: cannot print the answer as JSON: " << error << "\n";
      return 1;
    }
    if (!a.html.empty()) {
      if (int rc = write_window_html(o, a, resp, st, names, window_json); rc != 0) return rc;
      if (!o.json) {
        std::cerr << "wrote " << a.html << " (" << st.frames() << " frames)\n";
        return 0;
      }
    }
    // The shape of `predwatch dataset report --json`, plus where the numbers come from.
    std::cout << stats_report_json(st, names, [&](JsonWriter& w) {
      w.key("suspicious").begin_array().end_array();
      w.key("stream").value(resp.stream());
      w.key("window").raw(window_json);
    }) << "\n";
    return 0;
  }
  const v1::WindowInfo& w = resp.window();
  std::cout << "stream " << resp.stream() << ", window " << w.name() << ": " << st.frames()
            << " frames, " << st.objects() << " objects (" << format_time(w.start()) << " .. "
            << format_time(w.end()) << ", fill " << percent(w.fill_ratio()) << ")\n\n";
  std::set<std::string> only(a.classes.begin(), a.classes.end());
  std::vector<core::ClassId> order;
  for (core::ClassId c = 0; c < st.num_classes(); ++c)
    if (only.empty() || only.count(names[c])) order.push_back(c);
  std::sort(order.begin(), order.end(), [&](core::ClassId x, core::ClassId y) {
    if (st.images_with(x) != st.images_with(y)) return st.images_with(x) > st.images_with(y);
    return names[x] < names[y];
  });
  TextTable classes({"class", "images", "objects", "share", "avg/image", "area %", "confidence"});
  for (core::ClassId c : order) {
    classes.add_row({names[c], std::to_string(st.images_with(c)), std::to_string(st.objects_of(c)),
                     st.objects() ? percent(double(st.objects_of(c)) / double(st.objects())) : "-",
                     format_number(st.avg_count_on_image(c)), format_number(st.avg_area_pct(c)),
                     format_number(st.mean_confidence(c))});
  }
  std::cout << "Class balance\n" << classes.render() << "\n";
  struct Pair {
    core::ClassId a, b;
    int64_t n;
  };
  std::vector<Pair> pairs;
  for (core::ClassId x : order)
    for (core::ClassId y : order)
      if (x < y && st.pair_images(x, y) > 0) pairs.push_back({x, y, st.pair_images(x, y)});
  std::sort(pairs.begin(), pairs.end(), [](const Pair& p, const Pair& q) { return p.n > q.n; });
  if (a.top_pairs && pairs.size() > a.top_pairs) pairs.resize(a.top_pairs);
  TextTable pt({"class a", "class b", "images"});
  for (const Pair& p : pairs) pt.add_row({names[p.a], names[p.b], std::to_string(p.n)});
  std::cout << "Co-occurrence (top " << pairs.size() << " pairs)\n" << pt.render() << "\n";
  // Objects per image, one row per class, each row scaled to its own maximum.
  const uint32_t B = st.layout().objects_buckets();
  std::vector<uint64_t> grid;
  std::vector<std::string> rows, cols;
  for (uint32_t i = 0; i < B; ++i)
    cols.push_back(i % 5 == 0 ? core::StatsLayout::count_bucket_label(i, B - 1) : "");
  for (core::ClassId c : order) {
    const auto d = st.objects_distribution(c);
    rows.push_back(names[c]);
    grid.push_back(0);  // bucket 0 (frames without the class) would dwarf the rest
    for (uint32_t i = 1; i < B; ++i) grid.push_back(uint64_t(d[i]));
  }
  if (!rows.empty()) {
    HeatmapStyle style;
    style.scale_rows_independently = true;
    std::cout << "Objects per image (columns = count, row-scaled)\n"
              << render_heatmap(grid, rows.size(), B, rows, cols, style) << "\n";
  }
  for (const std::string& cls : a.heatmaps) {
    auto it = std::find(names.begin(), names.end(), cls);
    if (it == names.end() || size_t(it - names.begin()) >= st.num_classes()) {
      std::cerr << "predwatch stats: --heatmap: no class '" << cls << "' in this window\n";
      return 1;
    }
    const auto h = st.heatmap(core::ClassId(it - names.begin()));
    const uint32_t G = st.layout().heatmap_grid;
    std::vector<uint64_t> cells(h.begin(), h.end());
    std::cout << "Box centres of " << cls << " (" << G << "x" << G << ", top row = image top)\n"
              << render_heatmap(cells, G, G) << "\n";
  }
  return 0;
}

int run_drift(const ClientOptions& o, const std::string& stream, const std::string& window,
              bool flagged_only, const std::string& against) {
  v1::GetDriftRequest req;
  if (against == "baseline") {
    req.set_against(v1::AGAINST_BASELINE);
  } else if (against == "reference") {
    req.set_against(v1::AGAINST_REFERENCE);
  } else if (!against.empty()) {
    std::cerr << "predwatch drift: --against must be baseline or reference (got '" << against
              << "')\n";
    return 2;
  }
  auto stub = v1::MonitorService::NewStub(channel(o));
  grpc::ClientContext ctx;
  set_deadline(ctx, o);
  req.set_stream(stream);
  req.set_window(window);
  v1::GetDriftResponse resp;
  const grpc::Status s = stub->GetDrift(&ctx, req, &resp);
  if (!s.ok()) return fail(o, "drift", s);
  if (flagged_only) {
    auto* scores = resp.mutable_scores();
    scores->erase(std::remove_if(scores->begin(), scores->end(),
                                 [](const v1::DriftScore& d) { return !d.flagged(); }),
                  scores->end());
  }
  if (o.json) return print_json("drift", resp);
  std::vector<const v1::DriftScore*> rows;
  for (const auto& d : resp.scores()) rows.push_back(&d);
  std::stable_sort(rows.begin(), rows.end(),
                   [](const auto* x, const auto* y) { return x->flagged() > y->flagged(); });
  TextTable t({"verdict", "kind", "window", "vs", "subject", "measure", "score", "threshold", "p",
               "count", "expected", "note"});
  // The verdict is the engine's: DRIFT only when flagged (evidence and effect), "watch" for a
  // significant change between the watch level and the threshold (PSI, Hellinger). A score
  // over its threshold without evidence says so instead of looking like drift.
  auto verdict = [](const v1::DriftScore& d) -> std::string {
    if (d.flagged()) return "DRIFT";
    if (d.watch()) return "watch";
    if (!(d.score() >= d.threshold())) return "";
    if (d.note().find("min support") != std::string::npos) return "untested";
    return "not significant";
  };
  for (const auto* d : rows) {
    t.add_row({verdict(*d), d->kind(), d->window(), against_text(d->against()),
               subject_text(d->subject()), d->measure(), format_number(d->score(), 4),
               format_number(d->threshold(), 4), d->has_p_value() ? format_g3(d->p_value()) : "-",
               std::to_string(d->window_count()), format_number(d->expected_count(), 1),
               d->note()});
  }
  std::cout << "stream " << resp.stream() << ", evaluated " << format_time(resp.evaluated_at())
            << "\n"
            << t.render();
  return 0;
}

// The windows whose verdict is over, e.g. "5m,1h" ("-" when none is over now).
std::string over_text(const v1::Alert& a) {
  std::string over;
  for (const auto& w : a.windows())
    if (w.over()) over += (over.empty() ? "" : ",") + window_text(w.window(), w.against());
  return over.empty() ? "-" : over;
}

void alert_row(TextTable& t, const v1::Alert& a) {
  std::string subject = subject_text(a.subject());
  if (!a.related_subjects().empty()) {
    subject += " (with";
    for (int i = 0; i < a.related_subjects_size(); ++i)
      subject += (i == 0 ? " " : ", ") + a.related_subjects(i);
    subject += ")";
  }
  t.add_row({state_text(a.state()), a.kind(), a.stream(), subject,
             window_text(a.window(), a.against()), over_text(a), format_number(a.score(), 4),
             format_number(a.threshold(), 4),
             std::to_string(a.window_count()) + "/" + std::to_string(a.window_frames()),
             format_time(a.since()), a.fingerprint()});
}

// `alerts --history`: the latest transitions the server kept, oldest first.
int run_alert_history(const ClientOptions& o, const std::string& stream, uint32_t limit) {
  auto stub = v1::MonitorService::NewStub(channel(o));
  grpc::ClientContext ctx;
  set_deadline(ctx, o);
  v1::ListAlertTransitionsRequest req;
  req.set_stream(stream);
  req.set_limit(limit);
  v1::ListAlertTransitionsResponse resp;
  const grpc::Status s = stub->ListAlertTransitions(&ctx, req, &resp);
  if (!s.ok()) return fail(o, "alerts --history", s);
  warn_unreachable("alerts --history", resp.unreachable_replicas());
  if (o.json) return print_json("alerts --history", resp);
  TextTable t(
      {"time", "transition", "kind", "stream", "subject", "window", "score", "threshold", "note"});
  for (const v1::AlertTransition& x : resp.transitions()) {
    const v1::Alert& a = x.alert();
    std::string subject;
    for (const std::string& part : a.subject()) subject += (subject.empty() ? "" : "+") + part;
    t.add_row({format_time(x.time()),
               state_text(x.previous_state()) + " -> " + state_text(a.state()), a.kind(),
               a.stream(), subject.empty() ? "*" : subject, a.window(), format_number(a.score()),
               format_number(a.threshold()), x.note()});
  }
  std::cout << t.render();
  if (resp.transitions().empty()) std::cout << "(no alert transitions since predwatchd started)\n";
  return 0;
}

int run_alerts(const ClientOptions& o, const std::string& stream, bool watch) {
  if (!watch) {
    auto stub = v1::MonitorService::NewStub(channel(o));
    grpc::ClientContext ctx;
    set_deadline(ctx, o);
    v1::ListAlertsRequest req;
    req.set_stream(stream);
    v1::ListAlertsResponse resp;
    const grpc::Status s = stub->ListAlerts(&ctx, req, &resp);
    if (!s.ok()) return fail(o, "alerts", s);
    warn_unreachable("alerts", resp.unreachable_replicas());
    if (o.json) return print_json("alerts", resp);
    TextTable t({"state", "kind", "stream", "subject", "window", "over in", "score", "threshold",
                 "count", "since", "fingerprint"});
    for (const auto& a : resp.alerts()) alert_row(t, a);
    std::cout << t.render();
    if (resp.alerts().empty()) std::cout << "(no pending or firing alerts)\n";
    return 0;
  }
  // --watch: until Ctrl-C (or the server ends the stream). The signal thread must exist
  // before gRPC starts its threads so that they inherit the blocked mask.
  grpc::ClientContext ctx;
  std::atomic<bool> interrupted{false};
  SignalWaiter signals(
      [&] {
        interrupted = true;
        ctx.TryCancel();
      },
      [] {});
  if (!o.token.empty()) ctx.AddMetadata("authorization", "Bearer " + o.token);
  auto stub = v1::MonitorService::NewStub(channel(o));
  v1::WatchAlertsRequest req;
  req.set_stream(stream);
  auto reader = stub->WatchAlerts(&ctx, req);
  v1::WatchAlertsResponse message;
  while (reader->Read(&message)) {
    const v1::AlertTransition& t = message.transition();
    if (o.json) {
      if (print_json("alerts --watch", t, false) != 0) return 1;
      continue;
    }
    const v1::Alert& a = t.alert();
    std::cout << format_time(t.time()) << "  "
              << (t.snapshot() ? "[now]" : state_text(t.previous_state()) + " -> ")
              << state_text(a.state()) << "  " << a.summary() << "  (" << a.fingerprint() << ")"
              << std::endl;
  }
  const grpc::Status s = reader->Finish();
  if (interrupted || s.ok()) return 0;
  return fail(o, "alerts --watch", s);
}

struct ExemplarArgs {
  std::string stream, window, cls, pair, cell, count, bin;
  uint32_t limit = 0;
};

std::vector<std::string> split(const std::string& s, char sep) {
  std::vector<std::string> out;
  std::string cur;
  std::istringstream in(s);
  while (std::getline(in, cur, sep)) out.push_back(cur);
  return out;
}

// A non-negative number of a cell option ("--cell car:4:x" -> "--cell: COL 'x' is not a
// number"); throws std::invalid_argument.
uint32_t cell_number(std::string_view option, std::string_view part, const std::string& text) {
  uint32_t v = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (text.empty() || ec != std::errc() || end != text.data() + text.size()) {
    throw std::invalid_argument(std::string(option) + ": " + std::string(part) + " '" + text +
                                "' is not a non-negative number");
  }
  return v;
}

int run_exemplars(const ClientOptions& o, const ExemplarArgs& a) {
  v1::GetExemplarsRequest req;
  req.set_stream(a.stream);
  req.set_window(a.window);
  req.set_limit(a.limit);
  const int given =
      !a.cls.empty() + !a.pair.empty() + !a.cell.empty() + !a.count.empty() + !a.bin.empty();
  if (given != 1) {
    std::cerr
        << "predwatch exemplars: give exactly one of --class, --pair, --cell, --count, --bin\n";
    return 2;
  }
  try {
    if (!a.cls.empty()) req.set_class_name(a.cls);
    if (!a.pair.empty()) {
      const auto p = split(a.pair, ',');
      if (p.size() != 2) throw std::invalid_argument("--pair wants A,B");
      req.mutable_pair()->set_a(p[0]);
      req.mutable_pair()->set_b(p[1]);
    }
    if (!a.cell.empty()) {
      const auto p = split(a.cell, ':');
      if (p.size() != 3) throw std::invalid_argument("--cell wants CLASS:ROW:COL");
      req.mutable_heatmap_cell()->set_class_name(p[0]);
      req.mutable_heatmap_cell()->set_row(cell_number("--cell", "ROW", p[1]));
      req.mutable_heatmap_cell()->set_col(cell_number("--cell", "COL", p[2]));
    }
    if (!a.count.empty()) {
      const auto p = split(a.count, ':');
      if (p.size() != 2) throw std::invalid_argument("--count wants CLASS:N");
      req.mutable_count_bucket()->set_class_name(p[0]);
      req.mutable_count_bucket()->set_count(cell_number("--count", "N", p[1]));
    }
    if (!a.bin.empty()) {
      const auto p = split(a.bin, ':');
      if (p.size() != 3) throw std::invalid_argument("--bin wants CLASS:HISTOGRAM:BIN");
      std::string name = p[1];  // the CLI takes any case ("Area")
      for (char& c : name) c = char(std::tolower(static_cast<unsigned char>(c)));
      const std::optional<v1::ObjectHistogram> h = object_histogram_named(name);
      if (!h) {
        throw std::invalid_argument("--bin: histogram '" + p[1] +
                                    "' is not one of width, height, area, confidence");
      }
      req.mutable_histogram_bin()->set_class_name(p[0]);
      req.mutable_histogram_bin()->set_histogram(*h);
      req.mutable_histogram_bin()->set_bin(cell_number("--bin", "BIN", p[2]));
    }
  } catch (const std::exception& e) {
    std::cerr << "predwatch exemplars: " << e.what() << "\n";
    return 2;
  }
  auto stub = v1::MonitorService::NewStub(channel(o));
  grpc::ClientContext ctx;
  set_deadline(ctx, o);
  v1::GetExemplarsResponse resp;
  const grpc::Status s = stub->GetExemplars(&ctx, req, &resp);
  if (!s.ok()) return fail(o, "exemplars", s);
  if (o.json) return print_json("exemplars", resp);
  // The image column only when some frame has one (the event's image.uri).
  const bool images = std::any_of(resp.exemplars().begin(), resp.exemplars().end(),
                                  [](const v1::Exemplar& e) { return !e.image_uri().empty(); });
  TextTable t(images ? std::vector<std::string>{"frame", "time", "image"}
                     : std::vector<std::string>{"frame", "time"});
  for (const auto& e : resp.exemplars()) {
    std::vector<std::string> row{e.frame_id(), format_time(e.time())};
    if (images) row.push_back(e.image_uri());
    t.add_row(row);
  }
  std::cout << t.render();
  if (resp.exemplars().empty()) std::cout << "(no exemplars inside the window)\n";
  return 0;
}

int run_health(const ClientOptions& o, const std::string& service) {
  auto stub = grpc::health::v1::Health::NewStub(channel(o));
  grpc::ClientContext ctx;
  set_deadline(ctx, o);
  grpc::health::v1::HealthCheckRequest req;
  req.set_service(service);
  grpc::health::v1::HealthCheckResponse resp;
  const grpc::Status s = stub->Check(&ctx, req, &resp);
  if (!s.ok()) return fail(o, "health", s);
  const std::string status =
      grpc::health::v1::HealthCheckResponse::ServingStatus_Name(resp.status());
  if (o.json) {
    JsonWriter w;
    w.begin_object().key("service").value(service).key("status").value(status).end_object();
    std::cout << w.str() << "\n";
  } else {
    std::cout << (service.empty() ? "predwatchd" : service) << ": " << status << "\n";
  }
  return resp.status() == grpc::health::v1::HealthCheckResponse::SERVING ? 0 : 1;
}

int write_baseline(const std::string& path, const v1::Baseline& b, const ClientOptions& o) {
  if (path.empty() || path == "-") {
    if (o.json) return print_json("baseline", b);
    std::cerr << "predwatch baseline: give -o FILE (binary) or --json for stdout\n";
    return 2;
  }
  const std::string err = save_baseline(path, b);
  if (!err.empty()) {
    std::cerr << "predwatch baseline: " << err << "\n";
    return 1;
  }
  std::cerr << "wrote " << path << " (" << b.stats().frames() << " frames, "
            << b.stats().class_names_size() << " classes)\n";
  return 0;
}

int run_baseline_pull(const ClientOptions& o, const std::string& stream, const std::string& out,
                      bool reference) {
  auto stub = v1::MonitorService::NewStub(channel(o));
  grpc::ClientContext ctx;
  set_deadline(ctx, o);
  v1::GetBaselineRequest req;
  req.set_stream(stream);
  req.set_reference(reference);
  v1::GetBaselineResponse resp;
  const grpc::Status s = stub->GetBaseline(&ctx, req, &resp);
  if (!s.ok()) return fail(o, "baseline pull", s);
  return write_baseline(out, resp.baseline(), o);
}

int run_baseline_push(const ClientOptions& o, const std::string& stream, const std::string& file) {
  std::string error;
  auto loaded = load_baseline(file, error);
  if (!loaded) {
    std::cerr << "predwatch baseline push: " << error << "\n";
    return 1;
  }
  v1::SetBaselineRequest req;
  req.set_stream(stream);
  {
    std::ifstream in(file, std::ios::binary);
    if (!req.mutable_baseline()->ParseFromIstream(&in)) {
      std::cerr << "predwatch baseline push: " << file << ": not a baseline file\n";
      return 1;
    }
  }
  auto stub = v1::MonitorService::NewStub(channel(o));
  grpc::ClientContext ctx;
  set_deadline(ctx, o);
  v1::SetBaselineResponse resp;
  const grpc::Status s = stub->SetBaseline(&ctx, req, &resp);
  if (!s.ok()) return fail(o, "baseline push", s);
  if (o.json) {
    if (print_json("baseline push", resp) != 0) return 1;
  } else {
    std::cout << "stream " << stream << ": baseline set (" << resp.frames() << " frames, "
              << resp.classes() << " classes)\n";
  }
  return 0;
}

int run_baseline_snapshot(const ClientOptions& o, const std::string& stream,
                          const std::string& window, bool install, const std::string& out) {
  auto stub = v1::MonitorService::NewStub(channel(o));
  grpc::ClientContext ctx;
  set_deadline(ctx, o);
  v1::SnapshotBaselineRequest req;
  req.set_stream(stream);
  req.set_window(window);
  req.set_install(install);
  v1::SnapshotBaselineResponse resp;
  const grpc::Status s = stub->SnapshotBaseline(&ctx, req, &resp);
  if (!s.ok()) return fail(o, "baseline snapshot", s);
  if (install && !o.json) {
    std::cerr << "stream " << stream << ": installed the snapshot of window "
              << resp.baseline().window().window() << " as its baseline\n";
  }
  if (out.empty() && !o.json) return 0;
  return write_baseline(out, resp.baseline(), o);
}

int run_baseline_revert(const ClientOptions& o, const std::string& stream) {
  auto stub = v1::MonitorService::NewStub(channel(o));
  grpc::ClientContext ctx;
  set_deadline(ctx, o);
  v1::RevertBaselineRequest req;
  req.set_stream(stream);
  v1::RevertBaselineResponse resp;
  const grpc::Status s = stub->RevertBaseline(&ctx, req, &resp);
  if (!s.ok()) return fail(o, "baseline revert", s);
  if (o.json) return print_json("baseline revert", resp);
  std::cout << "stream " << stream << ": installed baseline removed; "
            << (resp.configured() ? "back to its configured baseline" : "it has no baseline now")
            << "\n";
  return 0;
}

enum class ReferenceAction { kShow, kPin, kReset };

int run_reference(const ClientOptions& o, ReferenceAction action, const std::string& stream,
                  const std::string& window) {
  auto stub = v1::MonitorService::NewStub(channel(o));
  grpc::ClientContext ctx;
  set_deadline(ctx, o);
  v1::ReferenceInfo info;
  grpc::Status s;
  const char* what = "reference show";
  if (action == ReferenceAction::kShow) {
    v1::GetReferenceRequest req;
    req.set_stream(stream);
    v1::GetReferenceResponse resp;
    s = stub->GetReference(&ctx, req, &resp);
    info = resp.reference();
  } else if (action == ReferenceAction::kPin) {
    what = "reference pin";
    v1::PinReferenceRequest req;
    req.set_stream(stream);
    req.set_window(window);
    v1::PinReferenceResponse resp;
    s = stub->PinReference(&ctx, req, &resp);
    info = resp.reference();
  } else {
    what = "reference reset";
    v1::ResetReferenceRequest req;
    req.set_stream(stream);
    v1::ResetReferenceResponse resp;
    s = stub->ResetReference(&ctx, req, &resp);
    info = resp.reference();
  }
  if (!s.ok()) return fail(o, what, s);
  if (o.json) return print_json(what, info);
  TextTable t({"stream", "state", "frames", "progress", "start", "end", "copied from"});
  t.add_row({info.stream(), reference_state_text(info.state()), std::to_string(info.frames()),
             percent(info.progress()), format_time(info.start()), format_time(info.end()),
             info.inherited_from().empty() ? "-" : info.inherited_from()});
  std::cout << t.render();
  return 0;
}

}  // namespace

void add_client_commands(CLI::App& app, CommandResult& result) {
  auto o = std::make_shared<ClientOptions>();

  CLI::App* streams = app.add_subcommand("streams", "streams of a running predwatchd");
  add_common(streams, *o);
  auto base_stream = std::make_shared<std::string>();
  streams->add_option("--of", *base_stream,
                      "only this configured stream and its model versions "
                      "(streams.split_model_versions: STREAM@VERSION)");
  streams->callback(
      [o, base_stream, &result] { result.exit_code = run_streams(*o, *base_stream); });

  auto sa = std::make_shared<StatsArgs>();
  CLI::App* stats = app.add_subcommand("stats", "statistics of a window of a stream");
  add_common(stats, *o);
  stats->add_option("stream", sa->stream, "stream key")->required();
  stats->add_option("--window,-w", sa->window, "window name (default: the first)");
  stats->add_option("--classes", sa->classes, "only these classes in the tables")->delimiter(',');
  stats->add_option("--top-pairs", sa->top_pairs, "co-occurring pairs listed")
      ->capture_default_str();
  stats->add_option("--heatmap", sa->heatmaps, "draw the box-centre heatmap of a class")
      ->delimiter(',');
  stats
      ->add_option("--html", sa->html,
                   "also write the window as one self-contained HTML page (opens offline; "
                   "no per-frame list, but the exemplar frames of its cells); no tables on "
                   "stdout then unless --json")
      ->type_name("OUT.html");
  stats
      ->add_option("--exemplar-cells", sa->exemplar_cells,
                   "with --html: ask for the exemplars of at most this many non-empty cells "
                   "(classes, pairs, counts, size bins, then heatmap cells)")
      ->capture_default_str();
  stats->callback([o, sa, &result] { result.exit_code = run_stats(*o, *sa); });

  auto drift_stream = std::make_shared<std::string>();
  auto drift_window = std::make_shared<std::string>();
  auto flagged = std::make_shared<bool>(false);
  auto drift_against = std::make_shared<std::string>();
  CLI::App* drift = app.add_subcommand(
      "drift", "drift scores of a stream against its baseline and its learned reference");
  add_common(drift, *o);
  drift->add_option("stream", *drift_stream, "stream key")->required();
  drift->add_option("--window,-w", *drift_window, "one window (default: every window)");
  drift->add_flag("--flagged", *flagged, "only scores that say drift");
  drift->add_option("--against", *drift_against,
                    "only the comparison with the baseline or the reference (default: both)");
  drift->callback([=, &result] {
    result.exit_code = run_drift(*o, *drift_stream, *drift_window, *flagged, *drift_against);
  });

  auto alerts_stream = std::make_shared<std::string>();
  auto watch = std::make_shared<bool>(false);
  auto history = std::make_shared<bool>(false);
  auto history_limit = std::make_shared<uint32_t>(0);
  CLI::App* alerts = app.add_subcommand("alerts", "pending and firing alerts");
  add_common(alerts, *o);
  alerts->add_option("stream", *alerts_stream, "only this stream");
  CLI::Option* watch_flag =
      alerts->add_flag("--watch", *watch, "stream alert transitions until Ctrl-C");
  alerts
      ->add_flag("--history", *history,
                 "the latest transitions predwatchd kept (oldest first) instead")
      ->excludes(watch_flag);
  alerts->add_option("--limit", *history_limit, "with --history: how many (1-1000; default 200)")
      ->check(CLI::Range(1, 1000));
  alerts->callback([=, &result] {
    result.exit_code = *history ? run_alert_history(*o, *alerts_stream, *history_limit)
                                : run_alerts(*o, *alerts_stream, *watch);
  });

  auto ea = std::make_shared<ExemplarArgs>();
  CLI::App* ex = app.add_subcommand("exemplars", "recent frames behind a statistics cell");
  add_common(ex, *o);
  ex->add_option("stream", ea->stream, "stream key")->required();
  ex->add_option("--window,-w", ea->window, "window name (default: the first)");
  ex->add_option("--class", ea->cls, "frames with the class");
  ex->add_option("--pair", ea->pair, "frames with both classes: A,B");
  ex->add_option("--cell", ea->cell,
                 "frames with the class's box centre in a heatmap cell: CLASS:ROW:COL");
  ex->add_option("--count", ea->count,
                 "frames with exactly N (or >= the last bucket) objects of the class: CLASS:N");
  ex->add_option("--bin", ea->bin,
                 "frames with a box of the class in a bin (0-based) of its width, height, area "
                 "or confidence histogram: CLASS:HISTOGRAM:BIN, e.g. car:area:3");
  ex->add_option("--limit", ea->limit, "at most this many (0 = all kept)");
  ex->callback([=, &result] { result.exit_code = run_exemplars(*o, *ea); });

  auto service = std::make_shared<std::string>();
  CLI::App* health = app.add_subcommand("health", "health of predwatchd (exit 0 when SERVING)");
  add_common(health, *o);
  health->add_option("--service", *service,
                     "\"\" = overall readiness, predwatch.v1.MonitorService, or liveness");
  health->callback([=, &result] { result.exit_code = run_health(*o, *service); });

  // reference show|pin|reset: a stream's learned reference.
  CLI::App* reference = app.add_subcommand(
      "reference", "a stream's learned reference: show, pin a known-good window, reset");
  reference->require_subcommand(1);
  auto r_stream = std::make_shared<std::string>();
  auto r_window = std::make_shared<std::string>();
  CLI::App* r_show =
      reference->add_subcommand("show", "state, frames, period and progress of the reference");
  add_common(r_show, *o);
  r_show->add_option("stream", *r_stream, "stream key")->required();
  r_show->callback([=, &result] {
    result.exit_code = run_reference(*o, ReferenceAction::kShow, *r_stream, "");
  });
  CLI::App* r_pin = reference->add_subcommand(
      "pin", "make a window's current contents the stream's reference (saved when persisted)");
  add_common(r_pin, *o);
  r_pin->add_option("stream", *r_stream, "stream key")->required();
  r_pin->add_option("--window,-w", *r_window, "window name (default: the first)");
  r_pin->callback([=, &result] {
    result.exit_code = run_reference(*o, ReferenceAction::kPin, *r_stream, *r_window);
  });
  CLI::App* r_reset = reference->add_subcommand(
      "reset", "discard the reference and its saved file; it relearns from the next frame");
  add_common(r_reset, *o);
  r_reset->add_option("stream", *r_stream, "stream key")->required();
  r_reset->callback([=, &result] {
    result.exit_code = run_reference(*o, ReferenceAction::kReset, *r_stream, "");
  });

  // baseline pull|push|snapshot: into the `baseline` group when it exists.
  CLI::App* baseline = nullptr;
  for (CLI::App* sub : app.get_subcommands([](CLI::App* s) { return s->get_name() == "baseline"; }))
    baseline = sub;
  if (!baseline) {
    baseline = app.add_subcommand("baseline", "baselines: pull, push, snapshot, revert");
    baseline->require_subcommand(1);
  }
  auto b_stream = std::make_shared<std::string>();
  auto b_file = std::make_shared<std::string>();
  auto b_window = std::make_shared<std::string>();
  auto b_install = std::make_shared<bool>(false);
  CLI::App* pull = baseline->add_subcommand("pull", "download a stream's baseline from predwatchd");
  add_common(pull, *o);
  pull->add_option("stream", *b_stream, "stream key")->required();
  pull->add_option("-o,--output", *b_file, "baseline file to write (--json: print instead)");
  auto b_reference = std::make_shared<bool>(false);
  pull->add_flag("--reference", *b_reference,
                 "the stream's learned reference instead (once complete), e.g. to push it as a "
                 "baseline elsewhere");
  pull->callback(
      [=, &result] { result.exit_code = run_baseline_pull(*o, *b_stream, *b_file, *b_reference); });
  CLI::App* push = baseline->add_subcommand("push", "install a baseline file on a stream");
  add_common(push, *o);
  push->add_option("stream", *b_stream, "stream key")->required();
  push->add_option("file", *b_file, "baseline file")->required()->check(CLI::ExistingFile);
  push->callback([=, &result] { result.exit_code = run_baseline_push(*o, *b_stream, *b_file); });
  CLI::App* snap =
      baseline->add_subcommand("snapshot", "turn a window's current contents into a baseline");
  add_common(snap, *o);
  snap->add_option("stream", *b_stream, "stream key")->required();
  snap->add_option("--window,-w", *b_window, "window name (default: the first)");
  snap->add_flag("--install", *b_install, "also make it the stream's baseline");
  snap->add_option("-o,--output", *b_file, "baseline file to write");
  snap->callback([=, &result] {
    result.exit_code = run_baseline_snapshot(*o, *b_stream, *b_window, *b_install, *b_file);
  });
  CLI::App* revert = baseline->add_subcommand(
      "revert",
      "remove the baseline installed by push or snapshot --install (back to the configured one)");
  add_common(revert, *o);
  revert->add_option("stream", *b_stream, "stream key")->required();
  revert->callback([=, &result] { result.exit_code = run_baseline_revert(*o, *b_stream); });
}

}  // namespace predwatch::daemon
