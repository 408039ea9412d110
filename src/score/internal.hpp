// score/internal.hpp: helpers shared by the score sources (not part of the public API).
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "continuo/score.hpp"

namespace continuo::score::detail {

// The order of notes in a track: (start, pitch, duration, velocity). Sorting by duration within
// one (start, pitch) is what makes writing and re-reading pair overlapping notes identically.
inline bool note_less(const Note& a, const Note& b) {
  if (a.start != b.start) return a.start < b.start;
  if (a.pitch != b.pitch) return a.pitch < b.pitch;
  if (a.duration != b.duration) return a.duration < b.duration;
  return a.velocity < b.velocity;
}

// Sorts notes by note_less. Notes read from a file are sorted by start already and only chords
// are out of order, so an insertion sort is tried first; it gives up for a std::sort when the
// input is far from sorted.
inline void sort_notes(std::vector<Note>& notes) {
  const size_t n = notes.size();
  size_t budget = 8 * n + 64;  // element moves allowed before falling back
  for (size_t i = 1; i < n; ++i) {
    if (!note_less(notes[i], notes[i - 1])) continue;
    Note x = notes[i];
    size_t j = i;
    while (j > 0 && note_less(x, notes[j - 1])) {
      notes[j] = notes[j - 1];
      --j;
      if (--budget == 0) {
        notes[j] = x;
        std::sort(notes.begin(), notes.end(), note_less);
        return;
      }
    }
    notes[j] = x;
  }
}

// Sorts a track's notes in the score model's order, keeps one note per (start, pitch), and gives
// overlapping notes of one pitch the ends a MIDI reader would pair them with (first on, first
// off): a note that starts later never ends earlier. Keeps the set of note-on and note-off times,
// and no duration grows past the longest one (the k-th smallest end is one of the first k+1 notes'
// ends or earlier). Afterwards writing to MIDI and reading back changes nothing.
inline void settle_notes(std::vector<Note>& notes) {
  std::sort(notes.begin(), notes.end(), note_less);
  notes.erase(std::unique(notes.begin(), notes.end(),
                          [](const auto& x, const auto& y) { return x.start == y.start && x.pitch == y.pitch; }),
              notes.end());
  std::array<std::vector<size_t>, 128> by_pitch;
  for (size_t i = 0; i < notes.size(); ++i) by_pitch[notes[i].pitch].push_back(i);
  std::vector<int64_t> ends;
  for (const auto& idx : by_pitch) {
    if (idx.size() < 2) continue;
    ends.clear();
    bool sorted = true;
    for (size_t k = 0; k < idx.size(); ++k) {
      ends.push_back(notes[idx[k]].start.count() + notes[idx[k]].duration.count());
      if (k > 0 && ends[k] < ends[k - 1]) sorted = false;
    }
    if (sorted) continue;
    std::sort(ends.begin(), ends.end());
    for (size_t k = 0; k < idx.size(); ++k) notes[idx[k]].duration = Ticks{ends[k] - notes[idx[k]].start.count()};
  }
  // durations changed only within one (start, pitch) group's order: re-sort ties by duration
  std::sort(notes.begin(), notes.end(), note_less);
}

// Integer division rounding toward minus infinity / plus infinity / to nearest (halves up).
inline int64_t floor_div(__int128 a, __int128 b) {
  if (b < 0) a = -a, b = -b;
  __int128 q = a / b;
  if ((a % b != 0) && (a < 0)) --q;
  return static_cast<int64_t>(q);
}
inline int64_t ceil_div(__int128 a, __int128 b) { return -floor_div(-a, b); }
inline int64_t round_div(__int128 a, __int128 b) {
  if (b < 0) a = -a, b = -b;
  return floor_div(2 * a + b, 2 * b);
}

// Stable sort by time, then drops adjacent exact duplicates.
template <class T>
void sort_by_time_unique(std::vector<T>& v) {
  if (!std::is_sorted(v.begin(), v.end(), [](const T& a, const T& b) { return a.time < b.time; }))
    std::stable_sort(v.begin(), v.end(), [](const T& a, const T& b) { return a.time < b.time; });
  v.erase(std::unique(v.begin(), v.end()), v.end());
}

// Stable sort by time, then keeps only the last event at each tick.
template <class T>
void sort_by_time_last_wins(std::vector<T>& v) {
  if (!std::is_sorted(v.begin(), v.end(), [](const T& a, const T& b) { return a.time < b.time; }))
    std::stable_sort(v.begin(), v.end(), [](const T& a, const T& b) { return a.time < b.time; });
  size_t out = 0;
  for (size_t i = 0; i < v.size(); ++i) {
    if (i + 1 < v.size() && v[i + 1].time == v[i].time) continue;
    v[out++] = std::move(v[i]);
  }
  v.resize(out);
}

// Bytes -> Score in one pass (score/fast_parse.cpp): the same Score as
// from_midi(midi::parse(bytes)) for every file midi::parse accepts, or nullopt (RIFF wrapper, any
// problem) where the caller must take that path instead.
std::optional<Score> parse_fused(std::span<const uint8_t> bytes);

}  // namespace continuo::score::detail
