// studio/api_json.cpp: see api_json.hpp.
#include "studio/api_json.hpp"

#include <algorithm>
#include <cmath>

#include "continuo/error.hpp"

namespace continuo::studio {
using nlohmann::json;

namespace {
double r3(double x) { return std::round(x * 1000.0) / 1000.0; }

[[noreturn]] void bad(const std::string& msg) { throw Error(ErrorCode::kInvalidArgument, msg); }

std::string type_of(const json& v) {
  if (v.is_null()) return "null";
  if (v.is_boolean()) return "a boolean";
  if (v.is_number()) return "a number";
  if (v.is_string()) return "a string";
  if (v.is_array()) return "an array";
  return "an object";
}

// 'key' (built step by step: GCC 12 warns falsely about "'" + std::string(...))
std::string q(const char* key) {
  std::string s(1, '\'');
  s.append(key);
  s.push_back('\'');
  return s;
}

std::string shown(const json& v) {
  std::string s = v.dump();
  return s.size() > 40 ? s.substr(0, 40) + "..." : s;
}
}  // namespace

json score_json(const StoredScore& st, size_t max_notes) {
  const score::Score& s = st.score;
  const double tpb = s.ticks_per_beat > 0 ? s.ticks_per_beat : 480;
  auto beat = [&](Ticks t) { return r3(double(t.count()) / tpb); };
  const score::Summary sum = score::summarize(s);
  json j = {{"id", st.id}, {"name", st.name}, {"ticks_per_beat", s.ticks_per_beat},
            {"seconds", r3(sum.seconds)}, {"beats", r3(sum.beats)}, {"events", st.body_events},
            {"bars", sum.bars}, {"notes_total", sum.notes}};
  json tracks = json::array();
  for (const auto& t : s.tracks)
    tracks.push_back({{"name", t.name}, {"channel", t.channel}, {"program", t.program}, {"is_drum", t.is_drum},
                      {"instrument", t.is_drum ? "Drum kit" : score::gm_program_name(t.program)},
                      {"notes", t.notes.size()}});
  j["tracks"] = std::move(tracks);
  json tempos = json::array();
  for (const auto& t : s.tempos) tempos.push_back({{"beat", beat(t.time)}, {"bpm", r3(t.bpm())}});
  if (tempos.empty()) tempos.push_back({{"beat", 0}, {"bpm", 120}});
  j["tempos"] = std::move(tempos);
  json ts = json::array();
  for (const auto& t : s.time_signatures)
    ts.push_back({{"beat", beat(t.time)}, {"numerator", t.numerator}, {"denominator", t.denominator}});
  j["time_signatures"] = std::move(ts);
  j["keys"] = sum.key_signatures;
  json notes = json::array();
  size_t n = 0;
  bool truncated = false;
  for (size_t ti = 0; ti < s.tracks.size() && !truncated; ++ti)
    for (const auto& note : s.tracks[ti].notes) {
      if (n++ >= max_notes) {
        truncated = true;
        break;
      }
      notes.push_back({ti, note.pitch, beat(note.start), beat(note.duration), note.velocity});
    }
  j["notes"] = std::move(notes);
  j["notes_truncated"] = truncated;
  // made from a recording: its id, and where the continuation starts (null: the transcription alone)
  if (st.sound)
    j["recording"] = {{"id", st.sound->recording},
                      {"seam", st.sound->seam_s < 0 ? json(nullptr) : json(r3(st.sound->seam_s))}};
  return j;
}

Fields::Fields(const json& obj, std::string where) : obj_(obj), where_(std::move(where)) {
  if (!obj_.is_object()) bad(where_ + " must be a JSON object, not " + type_of(obj_));
}

const json* Fields::raw(const char* key) {
  used_.emplace_back(key);
  auto it = obj_.find(key);
  return it == obj_.end() ? nullptr : &*it;
}

int Fields::integer(const char* key, int def, int lo, int hi) {
  const json* v = raw(key);
  if (!v || v->is_null()) return def;
  const std::string range = " between " + std::to_string(lo) + " and " + std::to_string(hi);
  if (!v->is_number()) bad(q(key) + " must be an integer" + range + ", not " + type_of(*v));
  const double d = v->get<double>();
  if (!std::isfinite(d) || d != std::floor(d)) bad(q(key) + " must be a whole number, not " + shown(*v));
  if (d < lo || d > hi) bad(q(key) + " must be" + range + ", not " + shown(*v));
  return int(d);
}

double Fields::number(const char* key, double def, double lo, double hi) {
  const json* v = raw(key);
  if (!v || v->is_null()) return def;
  if (!v->is_number()) bad(q(key) + " must be a number, not " + type_of(*v));
  const double d = v->get<double>();
  if (!std::isfinite(d) || d < lo || d > hi)
    bad(q(key) + " must be between " + json(lo).dump() + " and " + json(hi).dump() + ", not " + shown(*v));
  return d;
}

bool Fields::boolean(const char* key, bool def) {
  const json* v = raw(key);
  if (!v || v->is_null()) return def;
  if (!v->is_boolean()) bad(q(key) + " must be true or false, not " + type_of(*v));
  return v->get<bool>();
}

std::optional<std::string> Fields::string(const char* key, size_t max_len) {
  const json* v = raw(key);
  if (!v || v->is_null()) return std::nullopt;
  if (!v->is_string()) bad(q(key) + " must be a string, not " + type_of(*v));
  const auto& s = v->get_ref<const std::string&>();
  if (s.size() > max_len) bad(q(key) + " is longer than " + std::to_string(max_len) + " characters");
  return s;
}

std::optional<uint64_t> Fields::seed(const char* key) {
  const json* v = raw(key);
  if (!v || v->is_null()) return std::nullopt;
  if (v->is_string() && v->get<std::string>() == "random") return std::nullopt;
  if (v->is_number_unsigned()) return v->get<uint64_t>();
  if (v->is_number_integer() && v->get<int64_t>() >= 0) return uint64_t(v->get<int64_t>());
  bad(q(key) + " must be a whole number >= 0 (below 2^64) or \"random\", not " + shown(*v));
}

void Fields::no_unknown_fields() const {
  for (auto it = obj_.begin(); it != obj_.end(); ++it)
    if (std::find(used_.begin(), used_.end(), it.key()) == used_.end())
      bad(where_ + ": unknown field '" + it.key().substr(0, 60) + "'");
}

json error_json(int status, const std::string& code, const std::string& message) {
  return {{"error", {{"status", status}, {"code", code}, {"message", message}}}};
}

const char* error_code_name(int code) {
  switch (ErrorCode(code)) {
    case ErrorCode::kInvalidArgument: return "invalid_argument";
    case ErrorCode::kNotFound: return "not_found";
    case ErrorCode::kIo: return "io";
    case ErrorCode::kCorruptData: return "corrupt_data";
    case ErrorCode::kUnsupported: return "unsupported";
    case ErrorCode::kCancelled: return "cancelled";
    case ErrorCode::kInternal: return "internal";
  }
  return "internal";
}

int http_status_of(int code) {
  switch (ErrorCode(code)) {
    case ErrorCode::kInvalidArgument: return 400;
    case ErrorCode::kNotFound: return 404;
    case ErrorCode::kCorruptData:
    case ErrorCode::kUnsupported: return 422;
    case ErrorCode::kCancelled: return 409;
    default: return 500;
  }
}

std::string base64_decode(const std::string& in) {
  auto val = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  std::string out;
  out.reserve(in.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : in) {
    if (c == '=' || c == '\n' || c == '\r' || c == ' ') continue;
    int v = val(c);
    if (v < 0) bad("'midi_base64' is not valid base64");
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(char((acc >> bits) & 0xFF));
    }
  }
  return out;
}

}  // namespace continuo::studio
