// Files embedded in the binary at build time (apps/studio/embed_assets.cmake): the page (web/*)
// and the bundled examples (examples/*.mid), by their path in the source tree.
#pragma once

#include <cstddef>
#include <span>
#include <string_view>

namespace continuo::studio {

struct Asset {
  const char* path;            // "web/index.html", "examples/example.mid"
  const unsigned char* data;
  size_t size;
};

std::span<const Asset> assets();
const Asset* find_asset(std::string_view path);   // nullptr if absent

}  // namespace continuo::studio
