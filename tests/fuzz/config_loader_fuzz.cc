// Fuzzes the YAML configuration loader (config/loader.h).
// Checks: load_config_string never throws (the header promises errors as values); a
// failure has at least one error, each with a message, sorted by line then column; a
// success has Settings, and render_yaml(settings, /*mask_secrets=*/false) loads back
// without errors into equal Settings (the render_yaml contract).
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>
#include <string_view>

#include "config/loader.h"
#include "tests/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace predwatch::config;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  LoadResult r;
  try {
    r = load_config_string(text, "fuzz.yaml");
  } catch (const std::exception& e) {
    FUZZ_CHECK(false, "load_config_string threw: %s", e.what());
  } catch (...) {
    FUZZ_CHECK(false, "load_config_string threw a non-std exception");
  }
  FUZZ_CHECK(r.ok() == r.settings.has_value(), "settings set iff no errors");
  if (!r.ok()) {
    for (size_t i = 0; i < r.errors.size(); ++i) {
      FUZZ_CHECK(!r.errors[i].message.empty(), "error %zu without a message", i);
      if (i > 0) {
        const ConfigError &a = r.errors[i - 1], &b = r.errors[i];
        FUZZ_CHECK(a.line < b.line || (a.line == b.line && a.column <= b.column),
                   "errors not sorted: %s before %s", a.to_string().c_str(), b.to_string().c_str());
      }
    }
    FUZZ_CHECK(!r.error_text().empty(), "empty error text");
    return 0;
  }
  std::string yaml;
  LoadResult again;
  try {
    yaml = render_yaml(*r.settings, /*mask_secrets=*/false);
    again = load_config_string(yaml, "rendered.yaml");
    (void)render_yaml(*r.settings, /*mask_secrets=*/true);
  } catch (const std::exception& e) {
    FUZZ_CHECK(false, "render/reload threw: %s", e.what());
  }
  FUZZ_CHECK(again.ok(), "rendered YAML rejected:\n%s\n--- rendered:\n%s",
             again.error_text().c_str(), yaml.c_str());
  FUZZ_CHECK(*again.settings == *r.settings, "rendered YAML reloads into other settings:\n%s",
             yaml.c_str());
  return 0;
}
