// Round trips through the score model: on every MIDI file of the corpora,
// score::parse -> serialize -> parse gives an equal Score (and score::parse's fused fast path
// reads what midi::parse + from_midi reads); and on random hand-built MIDI files
// (overlapping same-pitch notes, zero-length notes, velocity-0 note-offs, shared channels,
// duplicate tempi, texts, sysex) from_midi -> to_midi -> from_midi does too.
#include <gtest/gtest.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstring>
#include <cstdio>
#include <mutex>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "continuo/error.hpp"
#include "continuo/midi.hpp"
#include "continuo/score.hpp"
#include "score/internal.hpp"
#include "score_builders.hpp"
#include "test_support.hpp"

namespace continuo::score {
namespace {

// Empty when equal, else where the first difference is.
std::string describe_difference(const Score& a, const Score& b) {
  if (a.ticks_per_beat != b.ticks_per_beat) return "ticks_per_beat";
  if (a.tempos != b.tempos) return "tempos";
  if (a.time_signatures != b.time_signatures) return "time signatures";
  if (a.key_signatures != b.key_signatures) return "key signatures";
  if (a.global_texts != b.global_texts) return "global texts";
  if (a.global_sysex != b.global_sysex) return "global sysex";
  if (a.smpte_offset != b.smpte_offset) return "smpte offset";
  if (a.tracks.size() != b.tracks.size())
    return "track count " + std::to_string(a.tracks.size()) + " vs " + std::to_string(b.tracks.size());
  for (size_t i = 0; i < a.tracks.size(); ++i) {
    const Track& x = a.tracks[i];
    const Track& y = b.tracks[i];
    std::string where = "track " + std::to_string(i) + ": ";
    if (x.name != y.name) return where + "name";
    if (x.channel != y.channel || x.program != y.program || x.bank != y.bank || x.is_drum != y.is_drum)
      return where + "channel/program/bank/drum";
    if (x.notes != y.notes) {
      for (size_t k = 0; k < std::min(x.notes.size(), y.notes.size()); ++k)
        if (x.notes[k] != y.notes[k]) return where + "note " + std::to_string(k);
      return where + "note count";
    }
    if (x.controls != y.controls) return where + "controls";
    if (x.bends != y.bends) return where + "bends";
    if (x.texts != y.texts) return where + "texts";
    if (x.sysex != y.sysex) return where + "sysex";
  }
  return a == b ? "" : "operator== differs";
}

TEST(GoldenRoundTrip, EveryCorpusFile) {
  const auto root = continuo::testing::corpora_dir();
  const auto files = continuo::testing::midi_files_under(root);
  if (files.empty()) GTEST_SKIP() << "corpora not unpacked";

  const auto t0 = std::chrono::steady_clock::now();
  std::atomic<size_t> next{0}, passed{0}, notes{0}, bytes{0};
  std::mutex mu;
  std::vector<std::string> unreadable, mismatched;
  auto worker = [&] {
    for (size_t i = next++; i < files.size(); i = next++) {
      const std::string name = files[i].lexically_relative(root).string();
      Score first;
      try {
        const std::vector<uint8_t> data = midi::read_file_bytes(files[i].string());
        bytes += data.size();
        first = parse(data, name);
        // The fused fast path must read exactly what midi::parse + from_midi reads.
        if (data.size() < 4 || std::memcmp(data.data(), "RIFF", 4) != 0) {
          const std::optional<Score> fused = detail::parse_fused(data);
          const Score reference = from_midi(midi::parse(data, name));
          if (!fused || *fused != reference || fused->source_format != reference.source_format ||
              fused->source_smpte != reference.source_smpte) {
            std::lock_guard lock(mu);
            mismatched.push_back(name + ": fused parser differs from midi::parse + from_midi");
            continue;
          }
        }
      } catch (const Error& e) {
        std::lock_guard lock(mu);
        unreadable.push_back(e.what());
        continue;
      }
      try {
        const Score again = parse(serialize(first), name + " (rewritten)");
        const std::string diff = describe_difference(first, again);
        if (!diff.empty()) {
          std::lock_guard lock(mu);
          mismatched.push_back(name + ": " + diff);
          continue;
        }
      } catch (const Error& e) {
        std::lock_guard lock(mu);
        mismatched.push_back(name + ": " + e.what());
        continue;
      }
      size_t n = 0;
      for (const Track& t : first.tracks) n += t.notes.size();
      notes += n;
      ++passed;
    }
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < 2; ++t) pool.emplace_back(worker);
  for (auto& th : pool) th.join();
  const double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  std::printf("%zu files (%.1f MB, %zu notes): %zu round-tripped, %zu unreadable, %zu mismatched, %.1f s\n",
              files.size(), bytes.load() / 1e6, notes.load(), passed.load(), unreadable.size(),
              mismatched.size(), secs);
  std::sort(mismatched.begin(), mismatched.end());
  for (size_t i = 0; i < unreadable.size() && i < 20; ++i) std::printf("unreadable: %s\n", unreadable[i].c_str());
  for (size_t i = 0; i < mismatched.size() && i < 50; ++i) std::printf("mismatch: %s\n", mismatched[i].c_str());
  EXPECT_EQ(mismatched.size(), 0u) << "files whose Score changes after writing and reading back";
  // Unreadable corpus files are the midi layer's business (tests/midi), not counted here.
  EXPECT_EQ(passed.load() + unreadable.size() + mismatched.size(), files.size());
}

TEST(GoldenRoundTrip, RandomFiles) {
  std::mt19937 rng(12345);
  for (int i = 0; i < 3000; ++i) {
    const midi::File f = testing::random_file(rng, 1 + i % 5);
    const Score s = from_midi(f);
    const Score back = from_midi(to_midi(s));
    ASSERT_EQ(describe_difference(s, back), "") << "random file " << i;
    const Score bytes_back = parse(serialize(s), "random");
    ASSERT_EQ(describe_difference(s, bytes_back), "") << "random file " << i << " (bytes)";
  }
}

// Operations return normalized scores that still round trip.
TEST(GoldenRoundTrip, OperationsOnRandomFiles) {
  std::mt19937 rng(777);
  for (int i = 0; i < 300; ++i) {
    const Score s = from_midi(testing::random_file(rng, 1 + i % 4));
    const std::vector<Score> outs = {quantize(s, 4),         transpose(s, 5),
                                     slice_ticks(s, Ticks{30}, Ticks{400}), first_notes(s, 20),
                                     resample(s, 96),        merge(s, s, Ticks{100})};
    for (size_t k = 0; k < outs.size(); ++k) {
      Score n = outs[k];
      normalize(n);
      ASSERT_EQ(n, outs[k]) << "not normalized: operation " << k << ", file " << i;
    }
    // A slice of a FIFO-read score stays FIFO-consistent, so it round trips exactly.
    ASSERT_EQ(describe_difference(outs[2], from_midi(to_midi(outs[2]))), "") << "file " << i;
    ASSERT_EQ(describe_difference(outs[3], from_midi(to_midi(outs[3]))), "") << "file " << i;
  }
}

}  // namespace
}  // namespace continuo::score
