// The web view's static files (daemon/web/assets: HTML, JS, CSS), compiled into the binary
// by cmake/embed_assets.cmake (a generated web_assets_data.cc), so predwatchd serves the
// view with nothing to install next to it and nothing fetched at run time.
#pragma once

#include <string_view>

namespace predwatch::daemon {

struct WebAsset {
  std::string_view path;  // "/index.html", "/app.js", ...
  std::string_view content_type;
  std::string_view body;
};

// The asset at `path` ("/" is "/index.html"), or null.
const WebAsset* find_web_asset(std::string_view path);

}  // namespace predwatch::daemon
