// score/ops.cpp: operations that make a new Score: quantize, resample, transpose, slices,
// first_notes, merge. Every one returns a normalized score.
#include <algorithm>
#include <cmath>
#include <optional>
#include <string>

#include "continuo/error.hpp"
#include "continuo/score.hpp"
#include "score/internal.hpp"

namespace continuo::score {
namespace {

using detail::round_div;

// Applies f(Ticks&) to the time of every timed event that is not a note (tracks and globals).
template <class F>
void for_each_event_time(Score& s, F&& f) {
  auto each = [&](auto& v) {
    for (auto& e : v) f(e.time);
  };
  for (Track& t : s.tracks) {
    each(t.controls);
    each(t.bends);
    each(t.texts);
    each(t.sysex);
  }
  each(s.tempos);
  each(s.time_signatures);
  each(s.key_signatures);
  each(s.global_texts);
  each(s.global_sysex);
}

// Keeps the elements of v with time in [begin, end), shifted by -begin.
template <class T>
void keep_window(std::vector<T>& v, int64_t begin, int64_t end) {
  std::erase_if(v, [&](const T& e) { return e.time.count() < begin || e.time.count() >= end; });
  for (T& e : v) e.time = Ticks{e.time.count() - begin};
}

// The last element with time < begin, moved to time 0 and put first; the rest as keep_window.
template <class T>
void carry_and_window(std::vector<T>& v, int64_t begin, int64_t end) {
  std::optional<T> carried;
  for (const T& e : v)
    if (e.time.count() < begin) carried = e;
  keep_window(v, begin, end);
  if (carried) {
    carried->time = Ticks{0};
    v.insert(v.begin(), *carried);
  }
}

// Elements with time < begin, moved to time 0 in their order, then the window.
template <class T>
void carry_all_and_window(std::vector<T>& v, int64_t begin, int64_t end) {
  std::vector<T> out;
  for (const T& e : v)
    if (e.time.count() < begin) out.push_back(T{e});
  for (T& e : out) e.time = Ticks{0};
  for (T& e : v)
    if (e.time.count() >= begin && e.time.count() < end) {
      e.time = Ticks{e.time.count() - begin};
      out.push_back(std::move(e));
    }
  v = std::move(out);
}

// Transposes a key signature by `semitones`: the key with the fewest accidentals (-5..6).
int8_t transpose_key(int8_t sharps, int semitones) {
  int x = ((sharps + 7 * semitones) % 12 + 12) % 12;
  if (x > 6) x -= 12;
  return static_cast<int8_t>(x);
}

}  // namespace

Score quantize(const Score& s, int steps_per_beat) {
  if (steps_per_beat <= 0)
    throw Error(ErrorCode::kInvalidArgument,
                "quantize: steps per beat must be positive, not " + std::to_string(steps_per_beat));
  Score r = s;
  const int64_t tpb = s.ticks_per_beat, spb = steps_per_beat;
  auto step_of = [&](int64_t t) { return round_div(__int128(t) * spb, tpb); };
  auto tick_of = [&](int64_t k) { return round_div(__int128(k) * tpb, spb); };
  for (Track& t : r.tracks)
    for (Note& n : t.notes) {
      const int64_t ks = step_of(n.start.count());
      const int64_t ke = std::max(step_of((n.start + n.duration).count()), ks + 1);
      n.start = Ticks{tick_of(ks)};
      n.duration = Ticks{tick_of(ke) - n.start.count()};
    }
  for_each_event_time(r, [&](Ticks& t) { t = Ticks{tick_of(step_of(t.count()))}; });
  normalize(r);
  return r;
}

Score resample(const Score& s, int ticks_per_beat) {
  if (ticks_per_beat <= 0)
    throw Error(ErrorCode::kInvalidArgument,
                "resample: ticks per beat must be positive, not " + std::to_string(ticks_per_beat));
  Score r = s;
  r.ticks_per_beat = ticks_per_beat;
  const int64_t from = s.ticks_per_beat, to = ticks_per_beat;
  auto scale = [&](int64_t t) { return round_div(__int128(t) * to, from); };
  for (Track& t : r.tracks)
    for (Note& n : t.notes) {
      const int64_t start = scale(n.start.count());
      int64_t end = scale((n.start + n.duration).count());
      if (n.duration.count() > 0) end = std::max(end, start + 1);  // a sounding note keeps sounding
      n.start = Ticks{start};
      n.duration = Ticks{end - start};
    }
  for_each_event_time(r, [&](Ticks& t) { t = Ticks{scale(t.count())}; });
  normalize(r);
  return r;
}

Score transpose(const Score& s, int semitones) {
  Score r = s;
  for (Track& t : r.tracks) {
    if (t.is_drum) continue;
    std::erase_if(t.notes, [&](const Note& n) {
      const int p = n.pitch + semitones;
      return p < 0 || p > 127;
    });
    for (Note& n : t.notes) n.pitch = static_cast<uint8_t>(n.pitch + semitones);
  }
  if (semitones % 12 != 0)
    for (KeySignature& k : r.key_signatures) k.sharps = transpose_key(k.sharps, semitones);
  normalize(r);
  return r;
}

Score slice_ticks(const Score& s, Ticks begin_t, Ticks end_t) {
  const int64_t begin = begin_t.count();
  const int64_t end = std::max(begin, end_t.count());
  Score r = s;
  if (begin > 0) r.smpte_offset.reset();
  for (Track& t : r.tracks) {
    std::erase_if(t.notes, [&](const Note& n) {
      return n.start.count() < begin || n.start.count() >= end;
    });
    for (Note& n : t.notes) {
      const int64_t start = n.start.count();
      const int64_t note_end = std::min(start + n.duration.count(), end);  // cut at `end`
      n.start = Ticks{start - begin};
      n.duration = Ticks{note_end - start};
    }
    // Controls: the last value of each controller before `begin` carried to 0, in the order of
    // those last values (so RPN/NRPN selections stay before their data entry).
    std::vector<ControlChange> controls;
    int last_index[128];
    std::fill(std::begin(last_index), std::end(last_index), -1);
    for (size_t i = 0; i < t.controls.size(); ++i)
      if (t.controls[i].time.count() < begin && t.controls[i].controller < 128)
        last_index[t.controls[i].controller] = static_cast<int>(i);
    std::vector<int> carried;
    for (int i : last_index)
      if (i >= 0) carried.push_back(i);
    std::sort(carried.begin(), carried.end());
    for (int i : carried) controls.push_back(ControlChange{Ticks{0}, t.controls[size_t(i)].controller,
                                                           t.controls[size_t(i)].value});
    keep_window(t.controls, begin, end);
    controls.insert(controls.end(), t.controls.begin(), t.controls.end());
    t.controls = std::move(controls);
    carry_and_window(t.bends, begin, end);
    keep_window(t.texts, begin, end);
    carry_all_and_window(t.sysex, begin, end);
  }
  carry_and_window(r.tempos, begin, end);
  carry_and_window(r.time_signatures, begin, end);
  carry_and_window(r.key_signatures, begin, end);
  keep_window(r.global_texts, begin, end);
  carry_all_and_window(r.global_sysex, begin, end);
  normalize(r);
  return r;
}

Score slice_beats(const Score& s, double begin_beat, double end_beat) {
  return slice_ticks(s, Ticks{std::llround(begin_beat * s.ticks_per_beat)},
                     Ticks{std::llround(end_beat * s.ticks_per_beat)});
}

Score slice_bars(const Score& s, int64_t begin_bar, int64_t end_bar) {
  return slice_ticks(s, bar_start(s, begin_bar), bar_start(s, end_bar));
}

Score first_notes(const Score& s, size_t n) {
  Score r = s;
  normalize(r);
  // (start, track, index): the order in which notes are counted.
  struct Key {
    int64_t start;
    uint32_t track, index;
    auto operator<=>(const Key&) const = default;
  };
  std::vector<Key> keys;
  for (uint32_t t = 0; t < r.tracks.size(); ++t)
    for (uint32_t i = 0; i < r.tracks[t].notes.size(); ++i)
      keys.push_back(Key{r.tracks[t].notes[i].start.count(), t, i});
  if (n >= keys.size()) return r;

  int64_t cutoff = 0;  // events up to this tick stay
  if (n == 0) {
    for (Track& t : r.tracks) t.notes.clear();
  } else {
    std::nth_element(keys.begin(), keys.begin() + ptrdiff_t(n - 1), keys.end());
    const Key last = keys[n - 1];
    cutoff = last.start;
    for (uint32_t t = 0; t < r.tracks.size(); ++t) {
      auto& notes = r.tracks[t].notes;
      size_t out = 0;
      for (uint32_t i = 0; i < notes.size(); ++i)
        if (Key{notes[i].start.count(), t, i} <= last) notes[out++] = notes[i];
      notes.resize(out);
    }
  }
  auto upto = [&](auto& v) {
    std::erase_if(v, [&](const auto& e) { return e.time.count() > cutoff; });
  };
  for (Track& t : r.tracks) {
    upto(t.controls);
    upto(t.bends);
    upto(t.texts);
    upto(t.sysex);
  }
  upto(r.tempos);
  upto(r.time_signatures);
  upto(r.key_signatures);
  upto(r.global_texts);
  upto(r.global_sysex);
  return r;
}

Score merge(const Score& a, const Score& b, Ticks offset) {
  Score r = a;
  Score rb = b.ticks_per_beat == a.ticks_per_beat ? b : resample(b, a.ticks_per_beat);
  const int64_t off = offset.count();
  auto shift = [&](auto& v) {
    for (auto& e : v) e.time = Ticks{e.time.count() + off};
    std::erase_if(v, [](const auto& e) { return e.time.count() < 0; });
  };
  for (Track& t : rb.tracks) {
    for (Note& n : t.notes) n.start = Ticks{n.start.count() + off};
    std::erase_if(t.notes, [](const Note& n) { return n.start.count() < 0; });
    shift(t.controls);
    shift(t.bends);
    shift(t.texts);
    shift(t.sysex);
    r.tracks.push_back(std::move(t));
  }
  shift(rb.global_texts);
  shift(rb.global_sysex);
  r.global_texts.insert(r.global_texts.end(), rb.global_texts.begin(), rb.global_texts.end());
  r.global_sysex.insert(r.global_sysex.end(), rb.global_sysex.begin(), rb.global_sysex.end());
  normalize(r);
  return r;
}

}  // namespace continuo::score
