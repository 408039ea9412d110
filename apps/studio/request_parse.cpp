// studio/request_parse.cpp: see request_parse.hpp.
#include "studio/request_parse.hpp"

#include <cctype>
#include <limits>
#include <random>

#include "continuo/error.hpp"
#include "studio/api_json.hpp"

namespace continuo::studio {
using nlohmann::json;

namespace {
json parse_body(const std::string& body) {
  try {
    return json::parse(body);
  } catch (const json::exception& e) {
    throw HttpError{400, "invalid_argument", std::string("the body is not valid JSON: ") + e.what()};
  }
}
}  // namespace

JobRequest parse_generate(const std::string& body, const GenerateContext& ctx) {
  json j = parse_body(body);
  Fields f(j, "the request");
  JobRequest r;
  r.model = f.string("model", 100).value_or(ctx.default_model);
  if (!ctx.has_model(r.model)) {
    const std::string names = ctx.model_names();
    throw HttpError{404, "not_found", "no model '" + r.model.substr(0, 60) + "'; available: " + (names.empty() ? "none" : names)};
  }
  if (auto id = f.string("score", 100)) r.prompt = ctx.score(*id);
  r.prompt_events = size_t(f.integer("prompt_events", 0, 0, 10'000'000));
  auto& s = r.sampling;
  s.events = f.integer("events", 256, 1, ctx.max_events);
  s.variations = f.integer("variations", 1, 1, ctx.max_variations);
  s.temperature = float(f.number("temperature", 1.0, 0.0, 5.0));
  s.top_p = float(f.number("top_p", 0.98, 0.01, 1.0));
  s.top_k = f.integer("top_k", 0, 0, 1000);
  s.key_strength = float(f.number("key_strength", 0.5, 0.0, 10.0));
  s.key_anchor = float(f.number("key_anchor", -1.0, 0.0, 1.0));   // absent: the model's own
  s.copy_anchor = float(f.number("copy_anchor", -1.0, 0.0, 1.0));  // absent: the model's own
  s.loop_guard = float(f.number("loop_guard", 1.0, 0.0, 1.0));
  s.allow_controls = f.boolean("allow_controls", true);
  auto seed = f.seed("seed");
  s.seed = seed ? *seed : std::random_device{}() % 1000000;
  if (const json* start = f.raw("start"); start && !start->is_null()) {
    Fields c(*start, "'start'");
    auto& cond = r.conditioning;
    if (const json* ins = c.raw("instruments"); ins && !ins->is_null()) {
      std::string list;
      if (ins->is_string()) list = ins->get<std::string>();
      else if (ins->is_array() && ins->size() <= 16) {
        for (const auto& x : *ins) {
          if (x.is_string()) list += (list.empty() ? "" : ",") + x.get<std::string>();
          else if (x.is_number_integer()) list += (list.empty() ? "" : ",") + std::to_string(x.get<int64_t>());
          else throw HttpError{400, "invalid_argument", "'instruments' must hold GM names or program numbers"};
        }
      } else throw HttpError{400, "invalid_argument", "'instruments' must be a string or an array of at most 16 names or numbers"};
      if (list.size() > 2000) throw HttpError{400, "invalid_argument", "'instruments' is too long"};
      if (!list.empty()) cond.instruments = tasks::parse_instruments(list);
    }
    if (auto d = c.string("drums", 100); d && !d->empty() && *d != "none")
      cond.instruments.push_back({tasks::parse_drum_kit(*d), true});
    if (const json* bpm = c.raw("bpm"); bpm && !bpm->is_null()) cond.bpm = c.number("bpm", 120, 10, 1000);
    if (auto ts = c.string("time_signature", 20); ts && !ts->empty()) cond.time_signature = tasks::parse_time_signature(*ts);
    if (auto k = c.string("key", 40); k && !k->empty()) cond.key = tasks::parse_key(*k);
    c.no_unknown_fields();
    if (cond.instruments.size() > 16) throw HttpError{400, "invalid_argument", "at most 16 instruments"};
    if (r.prompt && !cond.instruments.empty())
      throw HttpError{400, "invalid_argument", "instruments and drums are for a new piece; leave out 'score' to start one"};
  }
  f.no_unknown_fields();
  if (r.prompt) {
    const auto& sc = r.prompt->score;
    bool has_notes = false;
    for (const auto& t : sc.tracks) has_notes = has_notes || !t.notes.empty();
    if (!has_notes) throw HttpError{400, "invalid_argument", "the score '" + r.prompt->name + "' has no notes to continue"};
    if (r.prompt_events > r.prompt->body_events)
      throw HttpError{400, "invalid_argument", "'prompt_events' is " + std::to_string(r.prompt_events) + " but the score '" +
                                                   r.prompt->name.substr(0, 60) + "' has " + std::to_string(r.prompt->body_events) +
                                                   " events (its 'events'); leave it out or give 0 for all of them"};
  }
  return r;
}

UploadJson parse_upload_json(const std::string& body, size_t max_upload_bytes) {
  json j = parse_body(body);
  Fields f(j, "the upload");
  UploadJson u;
  u.example = f.string("example", 200);
  // the body is already bounded by the server's payload limit; a MIDI file decoded from base64 and
  // larger than the upload limit gets 413 from the upload path, like a raw upload of that size
  auto b64 = f.string("midi_base64", std::numeric_limits<size_t>::max());
  u.name = f.string("name", 200);
  f.no_unknown_fields();
  if (u.example.has_value() == b64.has_value())
    throw HttpError{400, "invalid_argument", "give either 'example' (a bundled example's name) or 'midi_base64'"};
  if (b64) u.midi = base64_decode(*b64);
  return u;
}

int parse_stop(const std::string& body, int variations) {
  if (body.empty()) return -1;
  json j = parse_body(body);
  Fields f(j, "the request");
  const int variation = f.integer("variation", -1, -1, variations - 1);
  f.no_unknown_fields();
  return variation;
}

std::string safe_name(const std::string& name, const std::string& ext) {
  std::string out;
  for (char c : name)
    if (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.') out.push_back(c);
  if (out.empty() || out[0] == '.') out = "continuo" + out;
  if (out.size() > 80) out.resize(80);
  if (!ext.empty()) {
    auto dot = out.rfind('.');
    if (dot != std::string::npos) out.resize(dot);
    out += ext;
  }
  return out;
}

}  // namespace continuo::studio
