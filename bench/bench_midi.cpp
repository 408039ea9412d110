// bench/bench_midi.cpp: MB/s and events/s of midi::parse (and serialize) over real multi-track
// files held in memory; the score layer's parse is measured on the same files.
//   cmake -S . -B build-bench -DCONTINUO_BENCH=ON -DCONTINUO_TORCH=OFF && cmake --build build-bench --target bench_midi
//   build-bench/bench/bench_midi --benchmark_repetitions=5
// Compare with python3-mido on the same files: /usr/bin/python3 tools/bench_mido.py
#include <benchmark/benchmark.h>

#include <atomic>
#include <thread>

#include <cstdio>
#include <string>

#include "bench_corpus.hpp"
#include "continuo/error.hpp"
#include "continuo/midi.hpp"
#include "continuo/score.hpp"

namespace continuo::bench {
namespace {

// Rate counters from one iteration's totals: bytes (shown as M/s = MB/s), events and files.
void report(benchmark::State& state, const Corpus& c, size_t events) {
  const double n = double(state.iterations());
  state.counters["bytes"] = benchmark::Counter(n * double(c.bytes), benchmark::Counter::kIsRate);
  state.counters["events"] = benchmark::Counter(n * double(events), benchmark::Counter::kIsRate);
  state.counters["files"] = benchmark::Counter(n * double(c.files.size()), benchmark::Counter::kIsRate);
}

void BM_midi_parse(benchmark::State& state, std::vector<std::string> folders) {
  const Corpus& c = corpus(folders);
  if (c.files.empty()) return state.SkipWithError("corpora not unpacked (run ../shared/data/unpack)");
  size_t events = 0;
  for (auto _ : state) {
    events = 0;
    for (const auto& f : c.files) {
      midi::File m = midi::parse(f.bytes, f.name);
      for (const auto& t : m.tracks) events += t.events.size();
      benchmark::DoNotOptimize(m.tracks.data());
    }
  }
  report(state, c, events);
}

void BM_midi_serialize(benchmark::State& state, std::vector<std::string> folders) {
  const Corpus& c = corpus(folders);
  if (c.files.empty()) return state.SkipWithError("corpora not unpacked (run ../shared/data/unpack)");
  std::vector<midi::File> parsed;
  size_t events = 0;
  for (const auto& f : c.files) {
    parsed.push_back(midi::parse(f.bytes, f.name));
    for (const auto& t : parsed.back().tracks) events += t.events.size();
  }
  for (auto _ : state)
    for (const auto& m : parsed) {
      auto out = midi::serialize(m);
      benchmark::DoNotOptimize(out.data());
    }
  report(state, c, events);
}

BENCHMARK_CAPTURE(BM_midi_parse, multitrack, kMultiTrack)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_midi_parse, tegridy, std::vector<std::string>{"tegridy-selected"})->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_midi_parse, pop909, std::vector<std::string>{"pop909"})->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_midi_serialize, multitrack, kMultiTrack)->Unit(benchmark::kMillisecond);

// ---- score layer: score::parse (bytes -> Score, the fused fast path) on the same files ----------

void report_notes(benchmark::State& state, const Corpus& c, size_t notes) {
  const double n = double(state.iterations());
  state.counters["bytes"] = benchmark::Counter(n * double(c.bytes), benchmark::Counter::kIsRate);
  state.counters["notes"] = benchmark::Counter(n * double(notes), benchmark::Counter::kIsRate);
  state.counters["files"] = benchmark::Counter(n * double(c.files.size()), benchmark::Counter::kIsRate);
}

// Reads every file of `folders` into a Score with `read` per iteration; counts bytes and notes.
template <typename Read>
void score_reading(benchmark::State& state, const std::vector<std::string>& folders, Read read) {
  const Corpus& c = corpus(folders);
  if (c.files.empty()) return state.SkipWithError("corpora not unpacked (run ../shared/data/unpack)");
  size_t notes = 0;
  for (auto _ : state) {
    notes = 0;
    for (const auto& f : c.files) {
      score::Score s = read(f);
      for (const auto& t : s.tracks) notes += t.notes.size();
      benchmark::DoNotOptimize(s.tracks.data());
    }
  }
  report_notes(state, c, notes);
}

void BM_score_parse(benchmark::State& state, std::vector<std::string> folders) {
  score_reading(state, folders, [](const CorpusFile& f) { return score::parse(f.bytes, f.name); });
}

// The two-step reference path: midi::parse, then from_midi.
void BM_score_from_midi_parse(benchmark::State& state, std::vector<std::string> folders) {
  score_reading(state, folders, [](const CorpusFile& f) { return score::from_midi(midi::parse(f.bytes, f.name)); });
}

void BM_score_serialize(benchmark::State& state, std::vector<std::string> folders) {
  const Corpus& c = corpus(folders);
  if (c.files.empty()) return state.SkipWithError("corpora not unpacked (run ../shared/data/unpack)");
  std::vector<score::Score> parsed;
  size_t notes = 0;
  for (const auto& f : c.files) {
    parsed.push_back(score::parse(f.bytes, f.name));
    for (const auto& t : parsed.back().tracks) notes += t.notes.size();
  }
  for (auto _ : state)
    for (const auto& s : parsed) {
      auto out = score::serialize(s);
      benchmark::DoNotOptimize(out.data());
    }
  report_notes(state, c, notes);
}

BENCHMARK_CAPTURE(BM_score_parse, multitrack, kMultiTrack)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_score_parse, tegridy, std::vector<std::string>{"tegridy-selected"})->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_score_parse, pop909, std::vector<std::string>{"pop909"})->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_score_from_midi_parse, multitrack, kMultiTrack)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_score_serialize, multitrack, kMultiTrack)->Unit(benchmark::kMillisecond);

// ---- whole corpus: every MIDI file of every unpacked corpus, score::parse, 1 and 2 threads -----
// Threads take files from a shared counter (as `continuo dataset build` does); bytes/s and
// notes/s are for the whole set. Run with --benchmark_filter=corpus.

const std::vector<std::string> kAllCorpora = {
    "asap", "bach-chorales", "folk-abc-music21", "groove-midi", "nottingham", "openscore-lieder-midi",
    "openscore-quartets-midi", "piano-midi-de", "polish-scores-midi", "pop909", "tegridy-selected"};

void BM_corpus_score_parse(benchmark::State& state) {
  const Corpus& c = corpus(kAllCorpora);
  if (c.files.empty()) return state.SkipWithError("corpora not unpacked (run ../shared/data/unpack)");
  const int threads = int(state.range(0));
  std::atomic<size_t> notes{0}, failed{0};
  for (auto _ : state) {
    notes = 0;
    failed = 0;
    std::atomic<size_t> next{0};
    auto work = [&] {
      size_t local = 0;
      for (size_t i = next++; i < c.files.size(); i = next++) {
        try {
          score::Score s = score::parse(c.files[i].bytes, c.files[i].name);
          for (const auto& t : s.tracks) local += t.notes.size();
        } catch (const std::exception&) {
          ++failed;
        }
      }
      notes += local;
    };
    std::vector<std::thread> pool;
    for (int t = 1; t < threads; ++t) pool.emplace_back(work);
    work();
    for (auto& t : pool) t.join();
  }
  report_notes(state, c, notes.load());
  state.counters["unreadable"] = double(failed.load());
}
BENCHMARK(BM_corpus_score_parse)->Arg(1)->Arg(2)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(3.0);

}  // namespace
}  // namespace continuo::bench

// The source tree's commit (with -dirty for local changes), asked of git when the benchmark runs.
static std::string source_commit() {
  std::string out;
  if (FILE* p = popen("git -C '" CONTINUO_SOURCE_DIR "' describe --always --dirty 2>/dev/null", "r")) {
    char buf[128];
    while (fgets(buf, sizeof buf, p)) out += buf;
    pclose(p);
  }
  while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) out.pop_back();
  return out.empty() ? "unknown" : out;
}

int main(int argc, char** argv) {
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::AddCustomContext("commit", source_commit());
  benchmark::AddCustomContext("threads", "1 (single-threaded parse)");
  benchmark::AddCustomContext("corpora", continuo::bench::corpora_root().string());
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
