// studio/request_parse.cpp: see request_parse.hpp.
#include "studio/request_parse.hpp"

#include <algorithm>
#include <cctype>
#include <limits>
#include <random>

#include "continuo/score.hpp"
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
  s.part_balance = float(f.number("part_balance", -1.0, 0.0, 4.0));   // absent: the model's own
  s.pitched_anchor = float(f.number("pitched_anchor", -1.0, 0.0, 1.0));   // absent: the model's own
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

ToolRequest parse_tool(const std::string& tool, const std::string& body, const GenerateContext& ctx) {
  json j = parse_body(body);
  Fields f(j, "the request");
  ToolRequest r;
  r.tool = tool;
  auto score = [&](const char* key) {
    auto id = f.string(key, 100);
    if (!id) throw HttpError{400, "invalid_argument", std::string("'") + key + "' (a score id from POST /api/scores) is required"};
    auto s = ctx.score(*id);
    bool has_notes = false;
    for (const auto& t : s->score.tracks) has_notes = has_notes || !t.notes.empty();
    if (!has_notes) throw HttpError{400, "invalid_argument", "the score '" + s->name.substr(0, 60) + "' has no notes"};
    return s;
  };
  auto seed = [&]() {
    auto s = f.seed("seed");
    return s ? *s : uint64_t(std::random_device{}() % 1000000);
  };
  if (tool == "groove") {
    r.a = score("score");
    r.groove.strength = f.number("strength", 1.0, 0.0, 2.0);
  } else if (tool == "drumify") {
    r.a = score("score");
    auto& d = r.drumify;
    if (auto st = f.string("style", 40); st && *st != "any") d.style = *st;
    if (const json* tr = f.raw("tracks"); tr && !tr->is_null()) {
      if (!tr->is_array() || tr->size() > 64)
        throw HttpError{400, "invalid_argument", "'tracks' must be an array of at most 64 track numbers"};
      for (const auto& t : *tr) {
        if (!t.is_number_integer() || t.get<int64_t>() < 0 || t.get<int64_t>() >= int64_t(r.a->score.tracks.size()))
          throw HttpError{400, "invalid_argument", "'tracks' must hold track numbers of the score, 0 to " +
                                                       std::to_string(r.a->score.tracks.size() - 1)};
        d.tracks.push_back(int(t.get<int64_t>()));
      }
    }
    d.variations = f.integer("variations", 1, 1, kMaxToolVariations);
    d.temperature = f.number("temperature", d.variations > 1 ? 0.5 : 0.0, 0.0, 5.0);
    d.keep_input = !f.boolean("drums_only", false);
    d.seed = seed();
  } else if (tool == "interpolate") {
    r.a = score("a");
    r.b = score("b");
    for (const auto& s : {r.a, r.b}) {
      const auto bars = score::summarize(s->score).bars;
      if (bars > kMaxInterpolateBars)
        throw HttpError{413, "too_large", "'" + s->name.substr(0, 60) + "' has " + std::to_string(bars) +
                                              " bars; interpolate takes clips of at most " + std::to_string(kMaxInterpolateBars)};
    }
    r.interpolate.steps = f.integer("steps", 5, 2, kMaxInterpolateSteps);
    r.interpolate.temperature = f.number("temperature", 0.0, 0.0, 5.0);
    r.interpolate.seed = seed();
  } else if (tool == "clips") {
    const auto kind = f.string("kind", 20);
    if (!kind || (*kind != "melody" && *kind != "drums"))
      throw HttpError{400, "invalid_argument", "'kind' must be \"melody\" or \"drums\""};
    r.clip_kind = *kind == "melody" ? vae::Kind::kMelody : vae::Kind::kDrums;
    auto& c = r.clips;
    c.bars = f.integer("bars", 2, 1, 16);
    c.variations = f.integer("variations", 1, 1, kMaxToolVariations);
    c.temperature = f.number("temperature", 1.0, 0.0, 5.0);
    c.bpm = f.number("bpm", 120, 20, 300);
    c.seed = seed();
  } else if (tool == "recording") {
    // a continuation model, like generation: the model first, then the recording, then the fields
    r.model = f.string("model", 100).value_or(ctx.default_model);
    if (!ctx.has_model || !ctx.has_model(r.model)) {
      const std::string names = ctx.model_names ? ctx.model_names() : "";
      throw HttpError{404, "not_found", "no model '" + r.model.substr(0, 60) + "'; available: " + (names.empty() ? "none" : names)};
    }
    const auto id = f.string("recording", 100);
    if (!id) throw HttpError{400, "invalid_argument", "'recording' (the id from POST /api/recordings) is required"};
    if (!ctx.recording) throw HttpError{404, "not_found", "recording '" + id->substr(0, 40) + "' not found"};
    r.recording = ctx.recording(*id);
    auto& o = r.rec;
    o.seconds = f.number("seconds", 15, 1, kMaxRecordingContinueSeconds);
    if (const json* ins = f.raw("instrument"); ins && !ins->is_null()) {
      std::string name;
      if (ins->is_string() && ins->get<std::string>().size() <= 100) name = ins->get<std::string>();
      else if (ins->is_number_integer()) name = std::to_string(ins->get<int64_t>());
      else throw HttpError{400, "invalid_argument", "'instrument' must be a GM instrument name or a program number 0-127"};
      const auto list = tasks::parse_instruments(name.empty() ? "piano" : name);
      if (list.size() != 1 || list[0].drums)
        throw HttpError{400, "invalid_argument", "'instrument' must be one pitched GM instrument, not '" + name.substr(0, 40) + "'"};
      o.program = list[0].program;
    }
    auto& s = o.sampling;
    s.variations = f.integer("variations", 1, 1, ctx.max_variations);
    s.temperature = float(f.number("temperature", 1.0, 0.0, 5.0));
    s.top_p = float(f.number("top_p", 0.98, 0.01, 1.0));
    s.top_k = f.integer("top_k", 0, 0, 1000);
    s.key_strength = float(f.number("key_strength", 0.5, 0.0, 10.0));
    s.events = 0;   // enough for the seconds asked, at the recording's own density
    s.seed = seed();
  } else if (tool == "infill" || tool == "accompany") {
    // a continuation model, like generation: the model first, then the score, then the fields
    r.model = f.string("model", 100).value_or(ctx.default_model);
    if (!ctx.has_model || !ctx.has_model(r.model)) {
      const std::string names = ctx.model_names ? ctx.model_names() : "";
      throw HttpError{404, "not_found", "no model '" + r.model.substr(0, 60) + "'; available: " + (names.empty() ? "none" : names)};
    }
    r.a = score("score");
    const auto& sc = r.a->score;
    const int64_t bars = score::bar_count(sc);
    if (bars > kMaxRewriteBars || r.a->body_events > size_t(std::max(ctx.max_events, 0)))
      throw HttpError{413, "too_large", "'" + r.a->name.substr(0, 60) + "' has " + std::to_string(bars) + " bars and " +
                                            std::to_string(r.a->body_events) + " events; " + tool + " takes pieces of at most " +
                                            std::to_string(kMaxRewriteBars) + " bars and " + std::to_string(ctx.max_events) + " events"};
    const int ntracks = int(sc.tracks.size());
    // an array of the score's track numbers (from 0), each with notes; absent, null or []: all
    auto tracks = [&](const char* key, const char* with_notes) {
      std::vector<int> out;
      const json* tr = f.raw(key);
      if (!tr || tr->is_null()) return out;
      if (!tr->is_array() || tr->size() > 64)
        throw HttpError{400, "invalid_argument", std::string("'") + key + "' must be an array of at most 64 track numbers"};
      for (const auto& t : *tr) {
        if (!t.is_number_integer() || t.get<int64_t>() < 0 || t.get<int64_t>() >= ntracks)
          throw HttpError{400, "invalid_argument", std::string("'") + key + "' must hold track numbers of the score, 0 to " +
                                                       std::to_string(ntracks - 1) + ", not " + t.dump().substr(0, 40)};
        const int i = int(t.get<int64_t>());
        if (sc.tracks[size_t(i)].notes.empty())
          throw HttpError{400, "invalid_argument", std::string("'") + key + "': track " + std::to_string(i) + " of the score has no notes " + with_notes};
        out.push_back(i);
      }
      return out;
    };
    auto sampling = [&](engine::SampleOptions& s) {
      s.variations = f.integer("variations", 1, 1, ctx.max_variations);
      s.temperature = float(f.number("temperature", 1.0, 0.0, 5.0));
      s.top_p = float(f.number("top_p", 0.98, 0.01, 1.0));
      s.top_k = f.integer("top_k", 0, 0, 1000);
      s.key_strength = float(f.number("key_strength", 0.5, 0.0, 10.0));
      s.seed = seed();
    };
    int64_t work = 0;
    if (tool == "infill") {
      auto& o = r.infill;
      const json* first = f.raw("first_bar");
      if (!first || first->is_null()) throw HttpError{400, "invalid_argument", "'first_bar' (the passage's first bar, from 1) is required"};
      o.first_bar = f.integer("first_bar", 1, 1, 1'000'000);
      o.last_bar = f.integer("last_bar", o.first_bar, 1, 1'000'000);
      o.tracks = tracks("tracks", "to rewrite");
      o.candidates = f.integer("candidates", 8, 1, kMaxCandidates);
      o.lookahead_bars = f.integer("lookahead_bars", 2, 0, 16);
      o.vary_share = f.number("vary", tasks::InfillOptions().vary_share, 0.0, 1.0);
      o.vary_strength = float(f.number("vary_strength", tasks::InfillOptions().vary_strength, 0.0, 1.0));
      o.max_repeat = f.number("max_repeat", tasks::InfillOptions().max_repeat, 0.0, 1.0);
      o.range_weight = f.number("range_weight", tasks::InfillOptions().range_weight, 0.0, 100.0);
      o.match_weight = f.number("match_weight", tasks::InfillOptions().match_weight, 0.0, 1.0);
      o.steer_strength = float(f.number("steer", tasks::InfillOptions().steer_strength, 0.0, 10.0));
      sampling(o.sampling);
      // a passage outside the piece is the library's error (400); only a real passage is weighed
      if (o.last_bar <= bars) work = int64_t(o.last_bar - o.first_bar + 1) * o.sampling.variations * o.candidates;
    } else {
      auto& o = r.accompany;
      o.keep = tracks("keep", "to keep");
      if (const json* ins = f.raw("instruments"); ins && !ins->is_null()) {
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
        bool blank = true;
        for (char c : list) blank = blank && (c == ' ' || c == ',');
        if (!blank) o.instruments = tasks::parse_instruments(list);
      }
      if (auto d = f.string("drums", 100); d && !d->empty() && *d != "none")
        o.instruments.push_back({tasks::parse_drum_kit(*d), true});
      if (o.instruments.size() > 16) throw HttpError{400, "invalid_argument", "at most 16 instruments"};
      o.candidates = f.integer("candidates", 4, 1, kMaxCandidates);
      o.chunk_bars = f.integer("chunk_bars", 2, 1, 16);
      o.melody_on_top = f.number("melody_on_top", tasks::AccompanyOptions().melody_on_top, 0.0, 100.0);
      o.follow_rhythm = f.number("follow_rhythm", tasks::AccompanyOptions().follow_rhythm, 0.0, 100.0);
      if (auto d = f.string("drummer", 20)) {
        if (*d != "drumify" && *d != "model") throw HttpError{400, "invalid_argument", "'drummer' must be \"drumify\" or \"model\""};
        r.drumify_drums = *d == "drumify";
      }
      sampling(o.sampling);
      work = bars * o.sampling.variations * o.candidates;
    }
    f.no_unknown_fields();
    if (work > kMaxRewriteWork)
      throw HttpError{413, "too_large", tool + " of " + std::to_string(work) +
                                            " bar-candidates (bars written x variations x candidates) is more than the studio's " +
                                            std::to_string(kMaxRewriteWork) + "; ask for fewer variations or candidates, or fewer bars"};
  } else {
    throw HttpError{404, "not_found", "no tool '" + tool.substr(0, 40) + "' (groove, drumify, interpolate, clips, infill, accompany, recording)"};
  }
  f.no_unknown_fields();
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

void parse_empty(const std::string& body) {
  if (body.empty()) return;
  json j = parse_body(body);
  Fields f(j, "the request");
  f.no_unknown_fields();
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
