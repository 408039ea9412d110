// JSON of the studio API: scores as the page draws them, strict readers of request fields (a wrong
// type, an out-of-range number or an unknown field is an Error(kInvalidArgument) naming the field).
#pragma once

#include <nlohmann/json.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "continuo/tasks.hpp"
#include "studio/store.hpp"

namespace continuo::studio {

// {"id", "name", "ticks_per_beat", "seconds", "beats", "events", "tracks": [...], "tempos": [...],
//  "time_signatures": [...], "keys": [...], "notes": [[track, pitch, start, duration, velocity]...]}
// (times in beats). At most `max_notes` notes; "notes_truncated" says when more were left out.
nlohmann::json score_json(const StoredScore& s, size_t max_notes = 200000);

// Reads fields of a JSON object; each accessor checks type and range.
class Fields {
 public:
  Fields(const nlohmann::json& obj, std::string where);   // throws if obj is not an object
  int integer(const char* key, int def, int lo, int hi);
  double number(const char* key, double def, double lo, double hi);
  bool boolean(const char* key, bool def);
  std::optional<std::string> string(const char* key, size_t max_len = 1000);
  std::optional<uint64_t> seed(const char* key);          // integer >= 0, or null / "random" -> nullopt
  const nlohmann::json* raw(const char* key);             // marks the key as used
  void no_unknown_fields() const;                         // throws naming the first unknown key

 private:
  const nlohmann::json& obj_;
  std::string where_;
  std::vector<std::string> used_;
};

nlohmann::json error_json(int status, const std::string& code, const std::string& message);
const char* error_code_name(int code);                      // ErrorCode as "invalid_argument"
int http_status_of(int code);                               // ErrorCode -> HTTP status

std::string base64_decode(const std::string& in);           // throws Error(kInvalidArgument)

}  // namespace continuo::studio
