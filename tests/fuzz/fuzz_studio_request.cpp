// libFuzzer target for what a client sends the studio (`continuo serve`): every input is tried as
// each request body the studio reads itself (apps/studio/request_parse.cpp, with api_json's Fields
// and the tasks option parsers behind it):
//   - the body of POST /api/generate (parse_generate), against a fake server with the models
//     "default" and "piano" and two stored scores, "a1" (with notes) and "b2" (without);
//   - a JSON body of POST /api/scores (parse_upload_json: example or base64 MIDI);
//   - the body of POST /api/tools/<tool> (parse_tool) for each tool and an unknown one (a recording
//     "r1" is known to the recording tool), with a third
//     score "c3" of two tracks, the second without notes (infill's tracks, accompany's keep);
//   - the body of POST /api/jobs/<id>/stop (parse_stop) for a job of 3 variations;
//   - the ?name= of an upload, through safe_name (the query string itself is split by cpp-httplib).
// Contract: a parsed request within the documented ranges, or the studio's own bad-request errors:
// HttpError 400/404 or continuo::Error(kInvalidArgument) (answered 400). Anything else (another
// exception type or code, which the server would answer 500, a crash, a sanitizer report) is a bug.
// safe_name gives a non-empty name of safe characters only.
// Built by tests/fuzz/CMakeLists.txt with clang; run by scripts/fuzz.sh.
#include <cctype>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "continuo/error.hpp"
#include "studio/request_parse.hpp"

namespace {
using namespace continuo;
using namespace continuo::studio;

[[noreturn]] void bug(const char* what, const std::string& detail = "") {
  std::fprintf(stderr, "fuzz_studio_request: %s %s\n", what, detail.c_str());
  __builtin_trap();
}

constexpr int kMaxEvents = 4096, kMaxVariations = 4;

std::shared_ptr<const StoredScore> stored(const std::string& id, bool with_notes, int tracks = 1) {
  auto s = std::make_shared<StoredScore>();
  s->id = id;
  s->name = id + ".mid";
  s->score.tracks.resize(size_t(tracks));
  if (with_notes) s->score.tracks[0].notes.push_back({Ticks(0), Ticks(480), 60, 64});
  return s;
}

const GenerateContext& context() {
  static const GenerateContext ctx = [] {
    static const std::map<std::string, std::shared_ptr<const StoredScore>> scores = {
        {"a1", stored("a1", true)}, {"b2", stored("b2", false)}, {"c3", stored("c3", true, 2)}};
    GenerateContext c;
    c.max_events = kMaxEvents;
    c.max_variations = kMaxVariations;
    c.default_model = "default";
    c.has_model = [](const std::string& name) { return name == "default" || name == "piano"; };
    c.model_names = [] { return std::string("default, piano"); };
    c.score = [](const std::string& id) {
      auto it = scores.find(id);
      if (it == scores.end()) throw HttpError{404, "not_found", "score '" + id.substr(0, 40) + "' not found"};
      return it->second;
    };
    c.recording = [](const std::string& id) {
      static const auto rec = [] {
        auto r = std::make_shared<StoredRecording>();
        r->id = "r1";
        return std::shared_ptr<const StoredRecording>(r);
      }();
      if (id != "r1") throw HttpError{404, "not_found", "recording '" + id.substr(0, 40) + "' not found"};
      return rec;
    };
    return c;
  }();
  return ctx;
}

// Runs `parse`; an exception must be one of the studio's bad-request errors.
template <class F>
void expect_request_or_bad_request(const char* what, F&& parse) {
  try {
    parse();
  } catch (const HttpError& e) {
    // (413: an interpolate input over kMaxInterpolateBars; infill / accompany over kMaxRewriteWork)
    if (e.status != 400 && e.status != 404 && e.status != 413) bug(what, "answered HTTP " + std::to_string(e.status) + ": " + e.message);
    if (e.message.empty()) bug(what, "an HttpError without a message");
  } catch (const Error& e) {
    if (e.code() != ErrorCode::kInvalidArgument) bug(what, std::string("threw a non-kInvalidArgument Error: ") + e.what());
  }
}

bool within(double x, double lo, double hi) { return std::isfinite(x) && x >= lo && x <= hi; }

void check_generate(const JobRequest& r) {
  const auto& s = r.sampling;
  if (r.model != "default" && r.model != "piano") bug("generate: an unknown model got through:", r.model);
  if (r.prompt && r.prompt->id != "a1") bug("generate: a prompt without notes got through:", r.prompt->id);
  if (r.prompt_events > 10'000'000) bug("generate: prompt_events out of range");
  if (s.events < 1 || s.events > kMaxEvents) bug("generate: events out of range");
  if (s.variations < 1 || s.variations > kMaxVariations) bug("generate: variations out of range");
  if (!within(s.temperature, 0, 5) || !within(s.top_p, 0.01f, 1) || s.top_k < 0 || s.top_k > 1000 ||
      !within(s.key_strength, 0, 10) || !(s.key_anchor == -1.0f || within(s.key_anchor, 0, 1)) ||
      !(s.copy_anchor == -1.0f || within(s.copy_anchor, 0, 1)) || !within(s.loop_guard, 0, 1))
    bug("generate: a sampling option out of range");
  const auto& c = r.conditioning;
  if (c.instruments.size() > 16) bug("generate: more than 16 instruments");
  if (r.prompt && !c.instruments.empty()) bug("generate: instruments with a prompt");
  for (const auto& i : c.instruments)
    if (i.program < 0 || i.program > 127) bug("generate: an instrument out of range");
  if (c.bpm && !within(*c.bpm, 10, 1000)) bug("generate: bpm out of range");
  if (c.time_signature && (c.time_signature->first < 1 || c.time_signature->first > 16 || c.time_signature->second < 1 ||
                           c.time_signature->second > 32))
    bug("generate: time signature out of range");
  if (c.key && (c.key->first < -7 || c.key->first > 7)) bug("generate: key out of range");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string body(reinterpret_cast<const char*>(data), size);

  expect_request_or_bad_request("POST /api/generate", [&] { check_generate(parse_generate(body, context())); });

  constexpr size_t kMaxUpload = 4096;
  expect_request_or_bad_request("POST /api/scores (JSON)", [&] {
    const UploadJson u = parse_upload_json(body, kMaxUpload);
    if (u.example && !u.midi.empty()) bug("upload: both an example and MIDI bytes");
    if (u.example && u.example->size() > 200) bug("upload: an example name over 200 bytes");
    if (u.name && u.name->size() > 200) bug("upload: a name over 200 bytes");
    // (the decoded size is the server's to refuse, with 413, like a raw upload's)
    if (u.midi.size() > body.size() * 3 / 4 + 3) bug("upload: more decoded bytes than the base64 in the body holds");
  });

  for (const char* tool : {"groove", "drumify", "interpolate", "clips", "infill", "accompany", "recording", "fold"}) {
    expect_request_or_bad_request("POST /api/tools/<tool>", [&] {
      const ToolRequest r = parse_tool(tool, body, context());
      if (r.a && r.a->id != "a1" && r.a->id != "c3") bug("tools: a score without notes got through:", r.a->id);
      if (r.b && r.b->id != "a1" && r.b->id != "c3") bug("tools: a score without notes got through:", r.b->id);
      const std::string t(tool);
      if (t == "infill" || t == "accompany") {
        if (!r.a) bug("infill / accompany: no score");
        if (r.model != "default" && r.model != "piano") bug("infill / accompany: an unknown model got through:", r.model);
        const engine::SampleOptions& so = t == "infill" ? r.infill.sampling : r.accompany.sampling;
        if (so.variations < 1 || so.variations > kMaxVariations || !within(so.temperature, 0, 5) || !within(so.top_p, 0.01f, 1) ||
            so.top_k < 0 || so.top_k > 1000 || !within(so.key_strength, 0, 10))
          bug("infill / accompany: a sampling option out of range");
        const int candidates = t == "infill" ? r.infill.candidates : r.accompany.candidates;
        if (candidates < 1 || candidates > kMaxCandidates) bug("infill / accompany: candidates out of range");
        // every track named is one of the score's, with notes (c3's second track has none)
        for (int i : t == "infill" ? r.infill.tracks : r.accompany.keep)
          if (i < 0 || size_t(i) >= r.a->score.tracks.size() || r.a->score.tracks[size_t(i)].notes.empty())
            bug("infill / accompany: a track without notes or out of range got through");
        const auto& in = r.infill;
        if (t == "infill" && (in.first_bar < 1 || in.last_bar < 1 || in.lookahead_bars < 0 || in.lookahead_bars > 16))
          bug("infill: bars out of range");
        if (t == "infill" && in.last_bar <= 1 && int64_t(in.last_bar - in.first_bar + 1) * so.variations * candidates > kMaxRewriteWork)
          bug("infill: more work than kMaxRewriteWork got through");
        const auto& ac = r.accompany;
        if (ac.instruments.size() > 16 || ac.chunk_bars < 1 || ac.chunk_bars > 16) bug("accompany: an option out of range");
        for (const auto& x : ac.instruments)
          if (x.program < 0 || x.program > 127) bug("accompany: an instrument out of range");
      }
      if (t == "recording") {
        if (!r.recording || r.recording->id != "r1") bug("recording: no recording, or an unknown one");
        if (r.model != "default" && r.model != "piano") bug("recording: an unknown model got through:", r.model);
        const auto& o = r.rec;
        const auto& so = o.sampling;
        if (!within(o.seconds, 1, kMaxRecordingContinueSeconds) || o.program < 0 || o.program > 127 || so.events != 0 ||
            so.variations < 1 || so.variations > kMaxVariations || !within(so.temperature, 0, 5) || !within(so.top_p, 0.01f, 1) ||
            so.top_k < 0 || so.top_k > 1000 || !within(so.key_strength, 0, 10))
          bug("recording: an option out of range");
      }
      if (!within(r.groove.strength, 0, 2)) bug("groove: strength out of range");
      const auto& d = r.drumify;
      if (d.variations < 1 || d.variations > kMaxToolVariations || !within(d.temperature, 0, 5) || d.style.size() > 40)
        bug("drumify: an option out of range");
      for (int i : d.tracks)
        if (i < 0 || !r.a || size_t(i) >= r.a->score.tracks.size()) bug("drumify: a track the score does not have");
      const auto& i = r.interpolate;
      if (i.steps < 2 || i.steps > kMaxInterpolateSteps || !within(i.temperature, 0, 5)) bug("interpolate: an option out of range");
      const auto& c = r.clips;
      if (c.bars < 1 || c.bars > 16 || c.variations < 1 || c.variations > kMaxToolVariations || !within(c.temperature, 0, 5) ||
          !within(c.bpm, 20, 300))
        bug("clips: an option out of range");
      if (std::string(tool) == "fold") bug("tools: an unknown tool got through");
    });
  }

  expect_request_or_bad_request("POST /api/jobs/<id>/stop", [&] {
    const int v = parse_stop(body, 3);
    if (v < -1 || v > 2) bug("stop: variation out of range");
  });

  for (const char* ext : {"", ".mid", ".wav"}) {
    const std::string name = safe_name(body, ext);
    const std::string_view e(ext);
    if (name.empty() || name[0] == '.' || name.size() > 80 + e.size() || !std::string_view(name).ends_with(e))
      bug("safe_name: a bad name:", name);
    for (char ch : name)
      if (!std::isalnum(static_cast<unsigned char>(ch)) && ch != '-' && ch != '_' && ch != '.')
        bug("safe_name: an unsafe character in", name);
  }
  return 0;
}
