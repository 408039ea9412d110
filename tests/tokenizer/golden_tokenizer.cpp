// decode(encode(score)) == canonical(score) on every MIDI file of the corpora, every encoding is
// accepted by the grammar, and the decoded score writes a MIDI file that reads back the same.
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <thread>

#include "continuo/error.hpp"
#include "continuo/midi.hpp"
#include "continuo/score.hpp"
#include "continuo/tokenizer.hpp"
#include "test_support.hpp"

namespace continuo::tokenizer {
namespace {

// Empty if the grammar accepts every event of `ev`, else the first rejected one.
std::string grammar_rejects(const std::vector<Event>& ev, const Options& opt) {
  Grammar g(opt);
  for (size_t i = 0; i < ev.size(); ++i) {
    Event partial;
    for (int f = 0; f < kNumFields; ++f) {
      if (f > 0 && !g.fields_used(ev[i].kind(), Field(f))) continue;
      const auto mask = g.allowed(Field(f), partial);
      if (!mask.at(ev[i].f[f])) return "event " + std::to_string(i) + " " + Tokenizer::describe(ev[i]) + " field " + std::to_string(f);
      partial.f[f] = ev[i].f[f];
    }
    g.feed(ev[i]);
  }
  return "";
}

std::string first_difference(const score::Score& a, const score::Score& b) {
  if (a.ticks_per_beat != b.ticks_per_beat) return "ticks_per_beat";
  if (a.tempos != b.tempos) return "tempos";
  if (a.time_signatures != b.time_signatures) return "time signatures";
  if (a.key_signatures != b.key_signatures) return "key signatures";
  if (a.tracks.size() != b.tracks.size()) return "track count";
  for (size_t i = 0; i < a.tracks.size(); ++i) {
    const auto &x = a.tracks[i], &y = b.tracks[i];
    const std::string where = "track " + std::to_string(i) + ": ";
    if (x.name != y.name || x.channel != y.channel || x.program != y.program || x.bank != y.bank || x.is_drum != y.is_drum)
      return where + "header";
    for (size_t k = 0; k < std::min(x.notes.size(), y.notes.size()); ++k)
      if (x.notes[k] != y.notes[k])
        return where + "note " + std::to_string(k) + " start " + std::to_string(x.notes[k].start.count()) + "/" +
               std::to_string(y.notes[k].start.count()) + " dur " + std::to_string(x.notes[k].duration.count()) + "/" +
               std::to_string(y.notes[k].duration.count()) + " pitch " + std::to_string(x.notes[k].pitch) + "/" +
               std::to_string(y.notes[k].pitch);
    if (x.notes.size() != y.notes.size()) return where + "note count";
    if (x.controls != y.controls) return where + "controls";
  }
  return "other";
}

TEST(GoldenTokenizer, EveryCorpusFileRoundTripsToItsCanonicalForm) {
  const auto root = continuo::testing::corpora_dir();
  const auto files = continuo::testing::midi_files_under(root);
  if (files.empty()) GTEST_SKIP() << "corpora not unpacked";
  std::atomic<size_t> next{0}, checked{0}, unreadable{0}, events{0};
  std::mutex mu;
  std::vector<std::string> failures;
  auto worker = [&] {
    for (size_t i = next++; i < files.size(); i = next++) {
      const std::string name = files[i].lexically_relative(root).string();
      score::Score s;
      try {
        s = score::load(files[i].string());
      } catch (const Error&) {
        ++unreadable;   // the score tests cover reading; only readable files are tokenized
        continue;
      }
      std::string why;
      try {
        for (bool controls : {true, false}) {
          Tokenizer tok(Options{controls});
          const auto ev = tok.encode(s);
          events += ev.size();
          const score::Score c = tok.canonical(s);
          const score::Score d = tok.decode(ev);
          if (!(d == c)) { why = "decode(encode) != canonical"; break; }
          if (auto r = grammar_rejects(ev, tok.options()); !r.empty()) { why = "grammar rejects " + r; break; }
          if (const score::Score back = score::parse(score::serialize(d)); !(back == d)) {
            why = "decoded score does not survive MIDI: " + first_difference(d, back);
            break;
          }
        }
      } catch (const std::exception& e) {
        why = std::string("threw: ") + e.what();
      }
      if (why.empty()) {
        ++checked;
      } else {
        std::lock_guard<std::mutex> lock(mu);
        failures.push_back(name + ": " + why);
      }
    }
  };
  std::vector<std::thread> pool;
  for (unsigned t = 0; t < std::max(1u, std::thread::hardware_concurrency()); ++t) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  for (size_t i = 0; i < std::min<size_t>(failures.size(), 20); ++i) ADD_FAILURE() << failures[i];
  EXPECT_TRUE(failures.empty()) << failures.size() << " of " << files.size() << " files fail";
  EXPECT_GT(checked.load(), files.size() * 9 / 10);
  std::printf("tokenized %zu files (%zu unreadable), %zu events, round trip exact\n", checked.load(),
              unreadable.load(), events.load());
}

}  // namespace
}  // namespace continuo::tokenizer
