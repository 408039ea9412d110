// continue and generate: prompts as events, sampling through the engine, results as scores in the
// prompt's own resolution and tracks.
#include <algorithm>
#include <cmath>

#include "continuo/error.hpp"
#include "continuo/tasks.hpp"
#include "score/internal.hpp"
#include "tasks/internal.hpp"

namespace continuo::tasks {
using tokenizer::Event;
using tokenizer::Field;
using tokenizer::Kind;

namespace {

Event make(Kind k, int value, int track = 0) {
  Event e;
  e[Field::kKind] = static_cast<uint16_t>(k);
  e[Field::kTrack] = static_cast<uint16_t>(track);
  e[Field::kValue] = static_cast<uint16_t>(value);
  return e;
}

using detail::step_to_tick;

// Applies tempo / metre / key overrides to a header in place.
void override_header(std::vector<Event>& ev, const Conditioning& c) {
  size_t h = tokenizer::Tokenizer::header_length(ev);
  bool has_key = false;
  for (size_t i = 0; i < h; ++i) {
    Event& e = ev[i];
    if (e.kind() == Kind::kTempo && c.bpm) e[Field::kValue] = uint16_t(tokenizer::kTempoBase + tokenizer::tempo_to_bin(*c.bpm));
    if (e.kind() == Kind::kTimeSig && c.time_signature)
      e[Field::kValue] = uint16_t(tokenizer::kTimeSigBase +
                                  tokenizer::timesig_to_class(c.time_signature->first, c.time_signature->second));
    if (e.kind() == Kind::kKeySig) {
      has_key = true;
      if (c.key) e[Field::kValue] = uint16_t(tokenizer::kKeyBase + tokenizer::key_to_class(c.key->first, c.key->second));
    }
  }
  if (c.key && !has_key) {
    // insert after the time signature (header order: BOS, TIMESIG, KEYSIG, TEMPO, TRACK...)
    auto it = std::find_if(ev.begin(), ev.begin() + h, [](const Event& e) { return e.kind() == Kind::kTimeSig; });
    size_t at = it == ev.begin() + h ? 1 : size_t(it - ev.begin()) + 1;
    ev.insert(ev.begin() + at, make(Kind::kKeySig, tokenizer::kKeyBase + tokenizer::key_to_class(c.key->first, c.key->second)));
  }
}

void check_conditioning(const Conditioning& c) {
  if (c.bpm && !(*c.bpm >= 10 && *c.bpm <= 1000))
    throw Error(ErrorCode::kInvalidArgument, "BPM must be between 10 and 1000");
  if (c.time_signature && tokenizer::timesig_to_class(c.time_signature->first, c.time_signature->second) < 0)
    throw Error(ErrorCode::kInvalidArgument, "time signature must be N/D with N in 1..16 and D in 1, 2, 4, 8, 16, 32");
  if (c.instruments.size() > size_t(tokenizer::kMaxTracks))
    throw Error(ErrorCode::kInvalidArgument, "at most 16 instruments");
}

engine::EventCallback progress_adapter(const ProgressFn& progress, int variations, std::vector<int>& counts,
                                       const engine::EventCallback& on_event = {}) {
  counts.assign(std::max(variations, 1), 0);
  if (!progress) return on_event;
  if (!on_event) return [&counts, progress](int v, const Event&) { return progress(v, ++counts[v]); };
  return [&counts, progress, on_event](int v, const Event& e) { return progress(v, ++counts[v]) && on_event(v, e); };
}

}  // namespace

namespace {
// Header + the first n body events (all if n == 0), cut at a whole time step: when the (n+1)-th
// event shares its time with earlier ones, those are left out too.
size_t cut_length(const std::vector<Event>& ev, size_t n) {
  const size_t h = tokenizer::Tokenizer::header_length(ev);
  if (n == 0 || h + n >= ev.size()) return ev.size();
  std::vector<int64_t> at(ev.size());
  int64_t t = 0;
  for (size_t i = 0; i < ev.size(); ++i) at[i] = t += ev[i][Field::kDt];
  size_t end = h + n;
  while (end > h && at[end - 1] >= at[h + n]) --end;
  return end;
}

std::vector<Event> encode_prompt(const score::Score& prompt, bool controls, tokenizer::SilenceCuts* cuts = nullptr) {
  auto ev = tokenizer::Tokenizer({controls}).encode(prompt, cuts);
  if (!ev.empty() && ev.back().kind() == Kind::kEos) ev.pop_back();
  return ev;
}
}  // namespace

std::vector<Event> prompt_events(const score::Score& prompt, size_t n, bool controls) {
  auto ev = encode_prompt(prompt, controls);
  ev.resize(cut_length(ev, n));
  return ev;
}

std::vector<score::Score> continue_score(const engine::Model& m, const score::Score& prompt, const ContinueOptions& opt,
                                         const ProgressFn& progress, std::vector<std::vector<Event>>* raw_out,
                                         const engine::EventCallback& on_event) {
  check_conditioning(opt.override_);
  bool has_notes = std::any_of(prompt.tracks.begin(), prompt.tracks.end(), [](const auto& t) { return !t.notes.empty(); });
  if (!has_notes) throw Error(ErrorCode::kInvalidArgument, "the prompt has no notes to continue");
  const bool controls = m.config().controls && opt.sampling.allow_controls;
  tokenizer::SilenceCuts cuts;   // long silences of the prompt, shortened for the model, kept in the output
  const std::vector<Event> full = encode_prompt(prompt, m.config().controls, &cuts);
  const size_t kept = cut_length(full, opt.prompt_events);
  std::vector<Event> ev(full.begin(), full.begin() + kept);
  const bool truncated = kept < full.size();
  override_header(ev, opt.override_);

  // where the prompt ends (grid steps), and where the first left-out event was
  tokenizer::PositionTracker tracker;
  for (const auto& e : ev) tracker.next(e);
  const int64_t prompt_end = tracker.now();
  const int64_t cut_step = truncated ? cuts.to_original(prompt_end + full[kept][Field::kDt]) : 0;   // in the file's time
  const int64_t offset = cuts.to_original(prompt_end) - prompt_end;   // the continuation in the file's time

  std::vector<int> counts;
  engine::SampleOptions so = opt.sampling;
  so.allow_controls = controls;
  auto raw = engine::generate(m, ev, so, progress_adapter(progress, so.variations, counts, on_event));
  if (raw_out) *raw_out = raw;

  const auto groups = tokenizer::Tokenizer::track_groups(prompt);
  const int tpb = prompt.ticks_per_beat > 0 ? prompt.ticks_per_beat : 480;
  // the prompt part: everything before the first event that was left out
  score::Score base = prompt;
  if (truncated) {
    // keep what starts strictly before the first left-out event
    auto before = [&](Ticks t) { return (t.count() * tokenizer::kStepsPerBeat + tpb / 2) / tpb < cut_step; };
    for (auto& tr : base.tracks) {
      std::erase_if(tr.notes, [&](const score::Note& n) { return !before(n.start); });
      std::erase_if(tr.controls, [&](const score::ControlChange& c) { return !before(c.time); });
      std::erase_if(tr.bends, [&](const score::PitchBend& b) { return !before(b.time); });
      std::erase_if(tr.texts, [&](const score::TextEvent& x) { return !before(x.time); });
    }
    std::erase_if(base.tempos, [&](const score::TempoChange& x) { return x.time.count() > 0 && !before(x.time); });
    std::erase_if(base.time_signatures, [&](const score::TimeSignature& x) { return x.time.count() > 0 && !before(x.time); });
    std::erase_if(base.key_signatures, [&](const score::KeySignature& x) { return x.time.count() > 0 && !before(x.time); });
  }
  const auto& c = opt.override_;
  if (c.bpm) base.tempos = {{Ticks{0}, uint32_t(std::lround(60'000'000.0 / *c.bpm))}};
  if (c.time_signature)
    base.time_signatures = {{Ticks{0}, uint8_t(c.time_signature->first), uint8_t(c.time_signature->second)}};
  if (c.key) base.key_signatures = {{Ticks{0}, int8_t(c.key->first), c.key->second}};

  std::vector<score::Score> outs;
  for (const auto& gen : raw) {
    score::Score s = base;
    int64_t now = prompt_end;
    for (const Event& e : gen) {
      now += e[Field::kDt];
      const Ticks at{step_to_tick(now + offset, tpb)};
      const int v = e[Field::kValue];
      switch (e.kind()) {
        case Kind::kNote: {
          int track = e[Field::kTrack];
          if (track >= int(groups.size())) break;
          auto& tr = s.tracks[groups[track][0]];
          int64_t dur = step_to_tick(int64_t(e[Field::kDuration]) + 1, tpb);
          tr.notes.push_back({at, Ticks{std::max<int64_t>(dur, 1)}, uint8_t(v - tokenizer::kPitchBase),
                              uint8_t(e[Field::kValue2])});
          break;
        }
        case Kind::kControl: {
          int track = e[Field::kTrack];
          if (track >= int(groups.size())) break;
          s.tracks[groups[track][0]].controls.push_back(
              {at, tokenizer::kControllers[v - tokenizer::kControlBase], uint8_t(e[Field::kValue2])});
          break;
        }
        case Kind::kTempo:
          s.tempos.push_back({at, uint32_t(std::lround(60'000'000.0 / tokenizer::tempo_from_bin(v - tokenizer::kTempoBase)))});
          break;
        case Kind::kTimeSig: {
          auto [num, den] = tokenizer::timesig_from_class(v - tokenizer::kTimeSigBase);
          s.time_signatures.push_back({at, uint8_t(num), uint8_t(den)});
          break;
        }
        case Kind::kKeySig: {
          int cls = v - tokenizer::kKeyBase;
          s.key_signatures.push_back({at, int8_t(cls / 2 - 7), cls % 2 == 1});
          break;
        }
        default: break;
      }
    }
    // one note per (start, pitch) in a track, overlapping ones as a MIDI reader pairs them
    for (auto& tr : s.tracks) score::detail::settle_notes(tr.notes);
    score::normalize(s);
    outs.push_back(std::move(s));
  }
  return outs;
}

std::vector<Event> conditioning_header(const Conditioning& c) {
  std::vector<Event> ev{make(Kind::kBos, 0)};
  bool any = c.bpm || c.time_signature || c.key || !c.instruments.empty();
  if (!any) return ev;
  auto ts = c.time_signature.value_or(std::pair{4, 4});
  ev.push_back(make(Kind::kTimeSig, tokenizer::kTimeSigBase + tokenizer::timesig_to_class(ts.first, ts.second)));
  if (c.key) ev.push_back(make(Kind::kKeySig, tokenizer::kKeyBase + tokenizer::key_to_class(c.key->first, c.key->second)));
  ev.push_back(make(Kind::kTempo, tokenizer::kTempoBase + tokenizer::tempo_to_bin(c.bpm.value_or(120.0))));
  for (size_t i = 0; i < c.instruments.size(); ++i) {
    const auto& ins = c.instruments[i];
    int value = ins.drums ? tokenizer::kDrumKitBase + (ins.program & 127) : tokenizer::kProgramBase + (ins.program & 127);
    ev.push_back(make(Kind::kTrack, value, int(i)));
  }
  return ev;
}

std::vector<score::Score> generate_score(const engine::Model& m, const GenerateOptions& opt, const ProgressFn& progress,
                                         const engine::EventCallback& on_event) {
  check_conditioning(opt.conditioning);
  std::vector<Event> header = conditioning_header(opt.conditioning);
  std::vector<int> counts;
  engine::SampleOptions so = opt.sampling;
  so.allow_controls = so.allow_controls && m.config().controls;
  auto raw = engine::generate(m, header, so, progress_adapter(progress, so.variations, counts, on_event));
  tokenizer::Tokenizer tok({m.config().controls});
  std::vector<score::Score> outs;
  for (auto& gen : raw) {
    std::vector<Event> all = header;
    all.insert(all.end(), gen.begin(), gen.end());
    outs.push_back(score::resample(tok.decode(all), 480));
  }
  return outs;
}

}  // namespace continuo::tasks
