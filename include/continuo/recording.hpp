// continuo/recording.hpp: continuing a recording. What was heard in it (audio::transcribe) is cut
// at the recording's last downbeat, snapped to sixteenths of the tracked beat and continued by a
// continuation model; the new notes are rendered and joined onto the recording at that downbeat.
// `continuo continue take.wav` and the studio's audio panel both go through here.
//
//   audio::Signal clip = audio::decode_file("take.flac");
//   audio::Transcription heard = audio::transcribe(clip, audio::BasicPitch::load(audio::default_basic_pitch_dir()));
//   tasks::RecordingOptions opt;  opt.seconds = 15;
//   auto cont = tasks::continue_recording(model, heard, clip.seconds(), opt);
//   audio::Renderer r;
//   audio::Audio out = tasks::join_continuation(r, clip, cont.added[0], cont.seam_s);
#pragma once

#include <vector>

#include "continuo/audio.hpp"
#include "continuo/engine.hpp"
#include "continuo/score.hpp"
#include "continuo/tasks.hpp"
#include "continuo/transcribe.hpp"

namespace continuo::tasks {

struct RecordingOptions {
  double seconds = 15;               // how much to add after the seam
  int program = 0;                   // GM program of the added part (its drums stay drums)
  engine::SampleOptions sampling;    // events: 0 = enough for `seconds` at the prompt's density
};

struct RecordingContinuation {
  double seam_s = 0;                 // the last downbeat at or before the end: where the new part starts
  Ticks seam_tick{0}, end_tick{0};   // the seam and seam + seconds, on the heard score's tempo map
  score::Score prompt;               // the heard notes that start before the seam, snapped to sixteenths
  std::vector<score::Score> added;   // per variation: only the new notes (seam..end), programs set
  std::vector<score::Score> both;    // per variation: all that was heard, plus the new notes as a track "continuation"
};

// The last downbeat at or before `end_s` (the last beat when no downbeat fits; 0 when none does).
double last_downbeat(const audio::BeatGrid& grid, double end_s);

// Throws Error(kInvalidArgument) when no note starts before the last downbeat; `progress` as for
// continue_score (false stops a variation where it is).
RecordingContinuation continue_recording(const engine::Model& m, const audio::Transcription& heard, double clip_seconds,
                                         const RecordingOptions& opt, const ProgressFn& progress = {});

// The events continue_recording writes in each variation when opt.sampling.events is 0: enough for
// opt.seconds at the density of the notes heard before the seam, with room to spare.
int recording_events(const audio::Transcription& heard, double clip_seconds, const RecordingOptions& opt);

// `added` rendered by `r` and joined onto `clip` at `seam_s` with a 50 ms crossfade at matched
// loudness (audio::join_at). The clip is resampled to the renderer's rate when they differ.
audio::Audio join_continuation(audio::Renderer& r, const audio::Signal& clip, const score::Score& added, double seam_s,
                               audio::JoinReport* report = nullptr);

// The median distance, in ms, of the onsets of `added` from the nearest sixteenth note of the beat
// grid they share with the recording (at `bpm`): how well the continuation keeps the clip's beat.
double median_offgrid_ms(const score::Score& added, double bpm);

}  // namespace continuo::tasks
