// The studio's request bodies read into requests, apart from the HTTP server: server.cpp calls
// these, and tests/fuzz/fuzz_studio_request.cpp checks them with any bytes. Every problem with a
// body is an HttpError (400 for a bad body, 404 for an unknown model, score or example) or an
// Error(kInvalidArgument) from Fields (answered 400); nothing else may come out of them.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "continuo/drums.hpp"
#include "continuo/recording.hpp"
#include "continuo/vae.hpp"
#include "studio/jobs.hpp"
#include "studio/store.hpp"

namespace continuo::studio {

// An answered error, with its HTTP status.
struct HttpError {
  int status;
  std::string code, message;
};

// What reading a generation request needs from the server.
struct GenerateContext {
  int max_events = 4096;
  int max_variations = 4;
  std::string default_model;
  std::function<bool(const std::string& name)> has_model;
  std::function<std::string()> model_names;   // "a, b" for the message about an unknown model
  // The stored score with this id; throws HttpError 404 when there is none.
  std::function<std::shared_ptr<const StoredScore>(const std::string& id)> score;
  // The stored recording with this id; throws HttpError 404 when there is none (unset: none known).
  std::function<std::shared_ptr<const StoredRecording>(const std::string& id)> recording;
};

// The body of POST /api/generate (docs/API.md). Checks in the order the server always did: the
// model first, then the score, then the other fields. The seed, when not given, is drawn here.
JobRequest parse_generate(const std::string& body, const GenerateContext& ctx);

// The body of POST /api/tools/<tool> (docs/API.md, "Tools"): Groove, Drumify, Interpolate and
// clip generation on stored scores, Infill and Accompany with a continuation model, and the
// continuation of an uploaded recording. `tool` is one of "groove", "drumify", "interpolate",
// "clips", "infill", "accompany", "recording" (any other: 404).
// Scores are looked up with GenerateContext::score (404); infill and accompany check the model
// like generation (GenerateContext::has_model, 404) and the piece against kMaxRewriteBars and
// GenerateContext::max_events (413).
struct ToolRequest {
  std::string tool;
  std::shared_ptr<const StoredScore> a, b;   // groove, drumify, infill, accompany: a; interpolate: a and b; clips: none
  drums::GrooveOptions groove;
  drums::DrumifyOptions drumify;
  vae::InterpolateOptions interpolate;
  vae::GenerateClipOptions clips;
  vae::Kind clip_kind = vae::Kind::kMelody;
  std::string model;                         // infill, accompany: a continuation model's name
  tasks::InfillOptions infill;
  tasks::AccompanyOptions accompany;
  bool drumify_drums = true;                 // accompany: drums by Drumify ("drummer": "drumify"), else by the model
  std::shared_ptr<const StoredRecording> recording;   // recording: the upload to continue
  tasks::RecordingOptions rec;                         // recording: seconds, instrument, sampling
};
inline constexpr double kMaxRecordingContinueSeconds = 120;
inline constexpr int kMaxToolVariations = 8;   // drumify variations, clips
inline constexpr int kMaxInterpolateSteps = 16;
inline constexpr int kMaxInterpolateBars = 16;  // each input of interpolate (16 bars, 16 steps: 3.8 s on a busy 2-core machine)
// Infill and accompany: the piece at most this many bars (and GenerateContext::max_events events);
// candidates per passage at most kMaxCandidates; and the work, bars written (infill: the passage;
// accompany: the whole piece) x variations x candidates, at most kMaxRewriteWork (256 bars x 4
// variations x 4 candidates: accompany wrote 8 bars x 4 candidates in 0.34 s on a busy 2-core
// machine, so the largest request takes about 45 s). More is 413.
inline constexpr int kMaxRewriteBars = 256;
inline constexpr int kMaxCandidates = 16;
inline constexpr int64_t kMaxRewriteWork = 4096;
ToolRequest parse_tool(const std::string& tool, const std::string& body, const GenerateContext& ctx);

// A JSON body of POST /api/scores: {"example": name} or {"midi_base64": ..., "name": ...}.
struct UploadJson {
  std::optional<std::string> example;   // a bundled example's name, as given
  std::string midi;                     // else: the decoded bytes
  std::optional<std::string> name;      // "name", as given (the server makes it safe)
};
UploadJson parse_upload_json(const std::string& body, size_t max_upload_bytes);

// The body of POST /api/jobs/<id>/stop: the variation to stop, -1 for all (also for an empty body).
// The body of a request that takes no fields: empty or {}.
void parse_empty(const std::string& body);
int parse_stop(const std::string& body, int variations);

// A file name safe for Content-Disposition: letters, digits, '-', '_' and '.', not starting with a
// dot, at most 80 characters before `ext` (which replaces the name's own extension when not empty).
std::string safe_name(const std::string& name, const std::string& ext);

}  // namespace continuo::studio
