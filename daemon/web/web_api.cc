#include "daemon/web/web_api.h"

#include <google/protobuf/util/json_util.h>

#include <charconv>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "daemon/api/api_convert.h"
#include "daemon/api/monitor_queries.h"

namespace predwatch::daemon {
namespace {

WebResponse bad(const std::string& message) {
  return error_response(400, "INVALID_ARGUMENT", message);
}

// The query parameters of one request, checked against the endpoint's list.
class Params {
 public:
  explicit Params(std::vector<std::pair<std::string, std::string>> q) : q_(std::move(q)) {}

  // "" or the error for the first parameter not in `allowed`.
  std::string unknown(std::initializer_list<std::string_view> allowed) const {
    return unknown(std::vector<std::string_view>(allowed));
  }
  std::string unknown(const std::vector<std::string_view>& allowed) const {
    for (const auto& [k, v] : q_) {
      bool ok = false;
      for (std::string_view a : allowed) ok = ok || k == a;
      if (!ok) {
        std::string list;
        for (std::string_view a : allowed) list += (list.empty() ? "" : ", ") + std::string(a);
        return "unknown parameter '" + k + "'" +
               (list.empty() ? " (this endpoint takes none)" : " (allowed: " + list + ")");
      }
    }
    return "";
  }
  std::vector<std::string> all(std::string_view key) const {
    std::vector<std::string> out;
    for (const auto& [k, v] : q_)
      if (k == key) out.push_back(v);
    return out;
  }
  // nullopt when absent; error when repeated.
  std::optional<std::string> single(std::string_view key, std::string& error) const {
    std::vector<std::string> v = all(key);
    if (v.size() > 1) {
      error = "parameter '" + std::string(key) + "' is given " + std::to_string(v.size()) +
              " times; it takes one value";
      return std::nullopt;
    }
    if (v.empty()) return std::nullopt;
    return v.front();
  }
  bool has(std::string_view key) const { return !all(key).empty(); }

 private:
  std::vector<std::pair<std::string, std::string>> q_;
};

// Parses an unsigned integer in [lo, hi]; error names the parameter.
bool parse_uint(std::string_view key, const std::string& text, uint64_t lo, uint64_t hi,
                uint64_t& out, std::string& error) {
  uint64_t v = 0;
  const char* end = text.data() + text.size();
  const auto r = std::from_chars(text.data(), end, v);
  if (text.empty() || r.ec != std::errc() || r.ptr != end) {
    error = "parameter '" + std::string(key) + "': '" + text.substr(0, 40) +
            "' is not a non-negative integer";
    return false;
  }
  if (v < lo || v > hi) {
    error = "parameter '" + std::string(key) + "': " + text + " is outside [" + std::to_string(lo) +
            ", " + std::to_string(hi) + "]";
    return false;
  }
  out = v;
  return true;
}

bool check_name(std::string_view what, const std::string& name, size_t max, std::string& error) {
  if (name.empty()) {
    error = std::string(what) + " must not be empty";
    return false;
  }
  if (name.size() > max) {
    error = std::string(what) + " is " + std::to_string(name.size()) + " bytes long; at most " +
            std::to_string(max) + " are accepted";
    return false;
  }
  return true;
}

WebResponse from_status(const grpc::Status& s) {
  int http = 500;
  std::string code = "INTERNAL";
  switch (s.error_code()) {
    case grpc::StatusCode::INVALID_ARGUMENT:
      http = 400, code = "INVALID_ARGUMENT";
      break;
    case grpc::StatusCode::NOT_FOUND:
      http = 404, code = "NOT_FOUND";
      break;
    case grpc::StatusCode::FAILED_PRECONDITION:
      http = 409, code = "FAILED_PRECONDITION";
      break;
    case grpc::StatusCode::RESOURCE_EXHAUSTED:
      http = 413, code = "RESOURCE_EXHAUSTED";
      break;
    case grpc::StatusCode::UNAVAILABLE:
      http = 503, code = "UNAVAILABLE";
      break;
    default:
      break;
  }
  return error_response(http, code, s.error_message());
}

WebResponse to_json(const google::protobuf::Message& m, size_t max_bytes) {
  const size_t size = m.ByteSizeLong();
  // Protobuf JSON is larger than the binary form; refuse before printing what is certainly
  // too large, check the printed size after.
  if (size > max_bytes) {
    return error_response(413, "RESOURCE_EXHAUSTED",
                          "the answer (" + std::to_string(size) +
                              " bytes in binary) exceeds the web API's limit of " +
                              std::to_string(max_bytes) +
                              " bytes; ask for fewer sections, classes or pairs");
  }
  google::protobuf::util::JsonPrintOptions opt;
  opt.preserve_proto_field_names = true;
  opt.always_print_primitive_fields = true;
  WebResponse r;
  if (auto st = google::protobuf::util::MessageToJsonString(m, &r.body, opt); !st.ok()) {
    return error_response(500, "INTERNAL", "cannot print the answer as JSON: " + st.ToString());
  }
  if (r.body.size() > max_bytes) {
    return error_response(413, "RESOURCE_EXHAUSTED",
                          "the answer (" + std::to_string(r.body.size()) +
                              " bytes of JSON) exceeds the web API's limit of " +
                              std::to_string(max_bytes) +
                              " bytes; ask for fewer sections, classes or pairs");
  }
  r.body.push_back('\n');
  return r;
}

template <class Resp>
WebResponse answer(const grpc::Status& s, const Resp& resp, size_t max_bytes) {
  if (!s.ok()) return from_status(s);
  return to_json(resp, max_bytes);
}

const std::map<std::string, v1::StatsSection, std::less<>>& section_names() {
  static const std::map<std::string, v1::StatsSection, std::less<>> k = {
      {"class_balance", v1::STATS_SECTION_CLASS_BALANCE},
      {"cooccurrence", v1::STATS_SECTION_COOCCURRENCE},
      {"objects_distribution", v1::STATS_SECTION_OBJECTS_DISTRIBUTION},
      {"per_image", v1::STATS_SECTION_PER_IMAGE},
      {"heatmaps", v1::STATS_SECTION_HEATMAPS},
      {"sizes", v1::STATS_SECTION_SIZES},
      {"confidence", v1::STATS_SECTION_CONFIDENCE},
      {"tables", v1::STATS_SECTION_TABLES},
  };
  return k;
}

}  // namespace

WebResponse WebApi::handle(const WebRequest& request) const {
  const std::vector<std::string> seg = split_path(request.path);
  std::vector<std::pair<std::string, std::string>> query;
  std::string error;
  if (!parse_query(request.query, query, error)) return bad(error);
  const Params p(std::move(query));
  const size_t max_bytes = limits_.max_response_bytes;
  const bool ready = ready_;
  // What a call forwarded to the replica that holds a stream carries (grpc.peers).
  CallOrigin origin;
  origin.authorization = request.authorization;
  auto not_found = [&] {
    return error_response(404, "NOT_FOUND",
                          "no API endpoint at '" + request.path + "' (docs/WEB.md lists them)");
  };
  if (seg.size() < 3 || seg[0] != "api" || seg[1] != "v1") return not_found();

  // /api/v1/health
  if (seg.size() == 3 && seg[2] == "health") {
    if (error = p.unknown({}); !error.empty()) return bad(error);
    WebResponse r;
    r.body = std::string("{\"ready\": ") + (ready ? "true" : "false") + "}\n";
    return r;
  }
  // The optional `stream` filter of the alert endpoints: "" (all) when absent; false with
  // `error` when malformed.
  const auto stream_filter = [&](std::string& stream) {
    const auto s = p.single("stream", error);
    if (!error.empty()) return false;
    if (s && !check_name("parameter 'stream'", *s, limits_.max_name_bytes, error)) return false;
    stream = s.value_or("");
    return true;
  };
  // /api/v1/alerts
  if (seg.size() == 3 && seg[2] == "alerts") {
    if (error = p.unknown({"stream"}); !error.empty()) return bad(error);
    v1::ListAlertsRequest req;
    if (!stream_filter(*req.mutable_stream())) return bad(error);
    v1::ListAlertsResponse resp;
    return answer(queries_.alerts(origin, req, &resp), resp, max_bytes);
  }
  // /api/v1/alerts/history
  if (seg.size() == 4 && seg[2] == "alerts" && seg[3] == "history") {
    if (error = p.unknown({"stream", "limit"}); !error.empty()) return bad(error);
    v1::ListAlertTransitionsRequest req;
    if (!stream_filter(*req.mutable_stream())) return bad(error);
    const auto limit = p.single("limit", error);
    if (!error.empty()) return bad(error);
    uint64_t n = 0;
    if (limit && !parse_uint("limit", *limit, 1, MonitorEngine::kTransitionHistory, n, error))
      return bad(error);
    req.set_limit(uint32_t(n));
    v1::ListAlertTransitionsResponse resp;
    return answer(queries_.alert_transitions(origin, req, &resp), resp, max_bytes);
  }
  // /api/v1/streams
  if (seg.size() == 3 && seg[2] == "streams") {
    if (error = p.unknown({}); !error.empty()) return bad(error);
    v1::ListStreamsResponse resp;
    return answer(queries_.list_streams(origin, {}, &resp), resp, max_bytes);
  }

  // The per-stream endpoints, in two equivalent forms:
  //   /api/v1/streams/{stream}/{what}, /api/v1/streams/{stream}/windows/{window}/{what}
  //   /api/v1/{what}?stream=S[&window=W]  (any name, '/' included)
  std::string stream, window, what;
  bool has_window = false;
  std::vector<std::string_view> names = {"stream", "window"};
  if (seg.size() == 3 &&
      (seg[2] == "stats" || seg[2] == "drift" || seg[2] == "baseline" || seg[2] == "exemplars")) {
    what = seg[2];
    const auto s = p.single("stream", error);
    if (!error.empty()) return bad(error);
    if (!s) return bad("parameter 'stream' is missing");
    stream = *s;
    const auto w = p.single("window", error);
    if (!error.empty()) return bad(error);
    if (w) window = *w, has_window = true;
  } else if (seg[2] == "streams" && (seg.size() == 5 || (seg.size() == 7 && seg[4] == "windows"))) {
    stream = seg[3];
    if (seg.size() == 7) window = seg[5], has_window = true;
    what = seg.back();
    names.clear();
  } else {
    return not_found();
  }
  if (!check_name("the stream", stream, limits_.max_name_bytes, error)) return bad(error);
  if (has_window && !check_name("the window", window, limits_.max_name_bytes, error))
    return bad(error);
  // The allowed parameters of the endpoint, plus stream and window in the query form.
  auto allowed = [&](std::initializer_list<std::string_view> own) {
    std::vector<std::string_view> all(own);
    all.insert(all.end(), names.begin(), names.end());
    return p.unknown(all);
  };

  auto against = [&](v1::Against& out) -> bool {
    const auto a = p.single("against", error);
    if (!error.empty()) return false;
    out = v1::AGAINST_UNSPECIFIED;
    if (!a) return true;
    if (*a == "baseline") {
      out = v1::AGAINST_BASELINE;
    } else if (*a == "reference") {
      out = v1::AGAINST_REFERENCE;
    } else {
      error = "parameter 'against': '" + a->substr(0, 40) + "' is not baseline or reference";
      return false;
    }
    return true;
  };
  auto need_window = [&]() -> std::string {
    return has_window ? ""
                      : "parameter 'window' is missing (or use .../windows/{window}/" + what + ")";
  };

  if (what == "drift") {  // every window unless one is named
    if (error = allowed({"against"}); !error.empty()) return bad(error);
    v1::GetDriftRequest req;
    req.set_stream(stream);
    req.set_window(window);
    v1::Against a;
    if (!against(a)) return bad(error);
    req.set_against(a);
    v1::GetDriftResponse resp;
    return answer(queries_.drift(origin, ready, req, &resp), resp, max_bytes);
  }
  if (what == "baseline") {
    if (has_window && names.empty()) return not_found();
    if (error = p.unknown({"tables", "reference", "stream"}); !error.empty()) return bad(error);
    const auto t = p.single("tables", error);
    if (!error.empty()) return bad(error);
    if (t && *t != "true" && *t != "false")
      return bad("parameter 'tables': '" + t->substr(0, 40) + "' is not true or false");
    const auto ref = p.single("reference", error);
    if (!error.empty()) return bad(error);
    if (ref && *ref != "true" && *ref != "false")
      return bad("parameter 'reference': '" + ref->substr(0, 40) + "' is not true or false");
    v1::GetBaselineRequest req;
    req.set_stream(stream);
    req.set_reference(ref && *ref == "true");
    v1::GetBaselineResponse resp;
    const grpc::Status s = queries_.baseline(origin, req, &resp);
    if (s.ok() && !(t && *t == "true")) resp.mutable_baseline()->mutable_stats()->clear_tables();
    return answer(s, resp, max_bytes);
  }
  if (what == "stats") {
    if (error = allowed({"section", "class", "top_pairs"}); !error.empty()) return bad(error);
    if (error = need_window(); !error.empty()) return bad(error);
    v1::GetWindowStatsRequest req;
    req.set_stream(stream);
    req.set_window(window);
    for (const std::string& s : p.all("section")) {
      const auto it = section_names().find(s);
      if (it == section_names().end()) {
        std::string list;
        for (const auto& [name, v] : section_names()) list += (list.empty() ? "" : ", ") + name;
        return bad("parameter 'section': unknown section '" + s.substr(0, 40) +
                   "' (sections: " + list + ")");
      }
      req.add_sections(it->second);
    }
    const std::vector<std::string> classes = p.all("class");
    if (classes.size() > limits_.max_classes) {
      return bad("parameter 'class' is given " + std::to_string(classes.size()) +
                 " times; at most " + std::to_string(limits_.max_classes) + " are accepted");
    }
    for (const std::string& c : classes) {
      if (!check_name("parameter 'class'", c, limits_.max_name_bytes, error)) return bad(error);
      req.add_classes(c);
    }
    const auto tp = p.single("top_pairs", error);
    if (!error.empty()) return bad(error);
    if (tp) {
      uint64_t v = 0;
      if (!parse_uint("top_pairs", *tp, 0, limits_.max_top_pairs, v, error)) return bad(error);
      req.set_top_pairs(uint32_t(v));
    }
    v1::GetWindowStatsResponse resp;
    return answer(queries_.window_stats(origin, ready, req, &resp), resp, max_bytes);
  }
  if (what == "exemplars") {
    if (error = allowed({"class", "a", "b", "row", "col", "count", "histogram", "bin", "limit"});
        !error.empty())
      return bad(error);
    if (error = need_window(); !error.empty()) return bad(error);
    v1::GetExemplarsRequest req;
    req.set_stream(stream);
    req.set_window(window);
    std::optional<std::string> cls, a, b, row, col, count, histogram, bin, limit;
    for (auto [key, out] : {std::pair{"class", &cls},
                            {"a", &a},
                            {"b", &b},
                            {"row", &row},
                            {"col", &col},
                            {"count", &count},
                            {"histogram", &histogram},
                            {"bin", &bin},
                            {"limit", &limit}}) {
      *out = p.single(key, error);
      if (!error.empty()) return bad(error);
    }
    for (auto [key, v] : {std::pair{"class", &cls}, {"a", &a}, {"b", &b}}) {
      if (*v &&
          !check_name("parameter '" + std::string(key) + "'", **v, limits_.max_name_bytes, error))
        return bad(error);
    }
    constexpr char kCells[] =
        "the cell: class=C (frames with the class), a=A&b=B (a pair), class=C&row=R&col=K "
        "(a heatmap cell), class=C&count=N (frames with N objects of the class) or "
        "class=C&histogram=H&bin=I (frames with a box of the class in bin I of its histogram H: "
        "width, height, area or confidence)";
    if (a || b) {
      if (!a || !b)
        return bad(std::string("parameter '") + (a ? "b" : "a") + "' is missing; " +
                   "a pair needs both a and b");
      if (cls || row || col || count || histogram || bin)
        return bad(std::string("one cell per request: ") + kCells);
      req.mutable_pair()->set_a(*a);
      req.mutable_pair()->set_b(*b);
    } else if (row || col) {
      if (!row || !col)
        return bad(std::string("parameter '") + (row ? "col" : "row") +
                   "' is missing; a heatmap cell needs class, row and col");
      if (!cls) return bad("parameter 'class' is missing; a heatmap cell needs class, row and col");
      if (count || histogram || bin) return bad(std::string("one cell per request: ") + kCells);
      uint64_t r = 0, c = 0;
      if (!parse_uint("row", *row, 0, 4096, r, error) ||
          !parse_uint("col", *col, 0, 4096, c, error))
        return bad(error);
      auto* hc = req.mutable_heatmap_cell();
      hc->set_class_name(*cls);
      hc->set_row(uint32_t(r));
      hc->set_col(uint32_t(c));
    } else if (histogram || bin) {
      if (!histogram || !bin)
        return bad(std::string("parameter '") + (histogram ? "bin" : "histogram") +
                   "' is missing; a histogram bin needs class, histogram and bin");
      if (!cls)
        return bad("parameter 'class' is missing; a histogram bin needs class, histogram and bin");
      if (count) return bad(std::string("one cell per request: ") + kCells);
      const std::optional<v1::ObjectHistogram> h = object_histogram_named(*histogram);
      if (!h) return bad("parameter 'histogram' must be width, height, area or confidence");
      uint64_t i = 0;
      if (!parse_uint("bin", *bin, 0, 255, i, error)) return bad(error);
      auto* hb = req.mutable_histogram_bin();
      hb->set_class_name(*cls);
      hb->set_histogram(*h);
      hb->set_bin(uint32_t(i));
    } else if (count) {
      if (!cls) return bad("parameter 'class' is missing; a count bucket needs class and count");
      uint64_t n = 0;
      if (!parse_uint("count", *count, 1, 1'000'000, n, error)) return bad(error);
      req.mutable_count_bucket()->set_class_name(*cls);
      req.mutable_count_bucket()->set_count(uint32_t(n));
    } else if (cls) {
      req.set_class_name(*cls);
    } else {
      return bad(std::string("a cell is required: ") + kCells);
    }
    uint64_t n = limits_.default_exemplars;
    if (limit && !parse_uint("limit", *limit, 1, limits_.max_exemplars, n, error))
      return bad(error);
    req.set_limit(uint32_t(n));
    v1::GetExemplarsResponse resp;
    return answer(queries_.exemplars(origin, ready, req, &resp), resp, max_bytes);
  }
  return not_found();
}

}  // namespace predwatch::daemon
