// Tokenizer unit tests: bins, the round trip on hand-made and bundled files, position features,
// windows, and the grammar: random grammatical sequences always decode to a valid, writable score.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "continuo/error.hpp"
#include "continuo/score.hpp"
#include "continuo/tokenizer.hpp"
#include "continuo/limits.hpp"
#include "test_support.hpp"

namespace continuo::tokenizer {
namespace {

score::Score example() {
  return score::load((continuo::testing::test_data_dir() / ".." / ".." / "examples" / "example.mid").string());
}

TEST(Bins, TempoRoundTripsWithinABin) {
  for (double bpm : {30.0, 60.0, 97.0, 120.0, 133.3, 180.0, 240.0}) {
    const double back = tempo_from_bin(tempo_to_bin(bpm));
    EXPECT_NEAR(back / bpm, 1.0, 0.04) << bpm;
    EXPECT_EQ(tempo_to_bin(back), tempo_to_bin(bpm)) << bpm;
  }
  EXPECT_GE(tempo_to_bin(1.0), 0);
  EXPECT_LT(tempo_to_bin(1000.0), kTempoBins);
}

TEST(Bins, TimeSignaturesAndKeys) {
  for (auto [n, d] : std::vector<std::pair<int, int>>{{4, 4}, {3, 4}, {6, 8}, {7, 8}, {2, 2}, {12, 8}, {5, 4}}) {
    const int c = timesig_to_class(n, d);
    ASSERT_GE(c, 0);
    ASSERT_LT(c, kTimeSigCount);
    EXPECT_EQ(timesig_from_class(c), std::make_pair(n, d));
  }
  EXPECT_EQ(timesig_to_class(4, 3), -1);
  EXPECT_EQ(timesig_to_class(17, 4), -1);
  std::set<int> seen;
  for (int sharps = -7; sharps <= 7; ++sharps)
    for (bool minor : {false, true}) {
      const int c = key_to_class(sharps, minor);
      EXPECT_GE(c, 0);
      EXPECT_LT(c, kKeyCount);
      seen.insert(c);
    }
  EXPECT_EQ(seen.size(), 30u);
}

TEST(Tokenizer, ExampleRoundTripsToItsCanonicalForm) {
  Tokenizer tok;
  const score::Score s = example();
  const auto ev = tok.encode(s);
  ASSERT_GT(ev.size(), 100u);
  EXPECT_EQ(ev.front().kind(), Kind::kBos);
  EXPECT_EQ(ev.back().kind(), Kind::kEos);
  const score::Score c = tok.canonical(s);
  EXPECT_EQ(tok.decode(ev), c);
  // The canonical form keeps every note of this on-grid file, its instruments and metre.
  size_t notes_in = 0, notes_out = 0;
  for (auto& t : s.tracks) notes_in += t.notes.size();
  for (auto& t : c.tracks) notes_out += t.notes.size();
  EXPECT_EQ(notes_in, notes_out);
  EXPECT_EQ(c.time_signatures.size(), s.time_signatures.size());
  // Canonicalizing is idempotent.
  EXPECT_EQ(tok.canonical(c), c);
}

TEST(Tokenizer, TripletsAndThirtySecondsStayOnTheGrid) {
  score::Score s;
  s.ticks_per_beat = 480;
  score::Track t;
  t.program = 0;
  // Eighth-note triplets, then thirty-seconds.
  int64_t tick = 0;
  for (int i = 0; i < 6; ++i, tick += 160) t.notes.push_back({Ticks{tick}, Ticks{160}, uint8_t(60 + i), 80});
  for (int i = 0; i < 8; ++i, tick += 60) t.notes.push_back({Ticks{tick}, Ticks{60}, uint8_t(72 + i), 90});
  s.tracks.push_back(t);
  Tokenizer tok;
  const score::Score back = tok.decode(tok.encode(s));
  ASSERT_EQ(back.tracks.size(), 1u);
  ASSERT_EQ(back.tracks[0].notes.size(), t.notes.size());
  // The same times in seconds as the original (the grid holds triplets and 32nds exactly).
  for (size_t i = 0; i < t.notes.size(); ++i) {
    EXPECT_DOUBLE_EQ(score::tick_to_beats(back, back.tracks[0].notes[i].start).count(),
                     score::tick_to_beats(s, t.notes[i].start).count()) << i;
    EXPECT_EQ(back.tracks[0].notes[i].pitch, t.notes[i].pitch);
  }
}

TEST(Tokenizer, PositionsMatchTheIncrementalTracker) {
  Tokenizer tok;
  const auto ev = tok.encode(example());
  const auto pos = Tokenizer::positions(ev);
  ASSERT_EQ(pos.size(), ev.size());
  PositionTracker tr;
  for (size_t i = 0; i < ev.size(); ++i) {
    const Position p = tr.next(ev[i]);
    EXPECT_EQ(p.beat_pos, pos[i].beat_pos) << i;
    EXPECT_EQ(p.bar_pos, pos[i].bar_pos) << i;
    EXPECT_LT(p.beat_pos, kBeatPosSize);
    EXPECT_LT(p.bar_pos, kBarPosSize);
  }
}

// The pitch-class context: drums ignored, the short half follows the latest notes, the long
// half remembers; both halves are distributions; BOS starts afresh.
TEST(Tokenizer, PitchContextTracksPitchedNotes) {
  auto ev = [](Kind k, int track, int value) { return continuo::testing::event(k, 0, track, value); };
  PitchContextTracker tr;
  auto c = tr.next(ev(Kind::kBos, 0, 0));
  for (float x : c) EXPECT_EQ(x, 0.0f);
  tr.next(ev(Kind::kTrack, 0, kProgramBase + 0));
  tr.next(ev(Kind::kTrack, 1, kDrumKitBase + 0));
  c = tr.next(ev(Kind::kNote, 1, 38));   // a snare: no pitch class
  for (float x : c) EXPECT_EQ(x, 0.0f);
  for (int i = 0; i < 20; ++i) c = tr.next(ev(Kind::kNote, 0, 60 + (i % 2) * 7));   // C and G
  for (int i = 0; i < 4; ++i) c = tr.next(ev(Kind::kNote, 0, 61));               // then C#
  float short_sum = 0, long_sum = 0;
  for (int i = 0; i < 12; ++i) {
    short_sum += c[size_t(i)];
    long_sum += c[size_t(12 + i)];
  }
  EXPECT_NEAR(short_sum, 1.0f, 1e-6);
  EXPECT_NEAR(long_sum, 1.0f, 1e-6);
  EXPECT_GT(c[1], 0.5f);                      // short: mostly the latest C#
  EXPECT_GT(c[12 + 0] + c[12 + 7], c[12 + 1]);   // long: still mostly C and G
  EXPECT_EQ(c[2], 0.0f);
  const auto again = tr.next(ev(Kind::kTempo, 0, kTempoBase));   // other events change nothing
  EXPECT_EQ(again, c);
  c = tr.next(ev(Kind::kBos, 0, 0));
  for (float x : c) EXPECT_EQ(x, 0.0f);
}

// A key signature seeds an empty context with its scale (A minor: the white keys and G#), and
// nothing once there are notes.
TEST(Tokenizer, PitchContextSeededFromAKey) {
  PitchContextTracker tr;
  tr.seed_key(key_to_class(0, true));
  auto c = tr.current();
  for (int pc = 0; pc < 12; ++pc) {
    const bool in = pc == 0 || pc == 2 || pc == 4 || pc == 5 || pc == 7 || pc == 9 || pc == 11 || pc == 8;
    EXPECT_EQ(c[size_t(12 + pc)] > 0, in) << pc;
    EXPECT_EQ(c[size_t(pc)] > 0, in) << pc;
  }
  PitchContextTracker played;
  Event note;
  note[Field::kKind] = uint16_t(Kind::kNote);
  note[Field::kValue] = 61;
  played.next(note);
  const auto before = played.current();
  played.seed_key(key_to_class(0, false));
  EXPECT_EQ(played.current(), before);
}

// The key prior's bias: zero-mean, (numerically) zero before any note, transposing the context
// transposes the bias, and a positive same-class weight favours the classes used.
TEST(Tokenizer, KeyPriorBias) {
  float A[24] = {};
  A[12] = 1.0f;        // long half, same class
  A[0 + 7] = 0.3f;     // short half, a fifth above
  PitchContext empty{};
  for (float b : key_prior_bias(empty, A)) EXPECT_NEAR(b, 0.0f, 1e-5f);
  PitchContextTracker tr;
  Event note;
  note[Field::kKind] = uint16_t(Kind::kNote);
  for (int p : {60, 64, 67, 60, 62, 64, 65, 67}) {
    note[Field::kValue] = uint16_t(p);
    tr.next(note);
  }
  const PitchContext c = tr.current();
  const auto b = key_prior_bias(c, A);
  float mean = 0;
  for (float x : b) mean += x / 12;
  EXPECT_NEAR(mean, 0.0f, 1e-5f);
  EXPECT_GT(b[0], b[1]);    // C used, C# not
  EXPECT_GT(b[4], b[10]);   // E used, Bb not
  for (int k = 1; k < 12; ++k) {
    PitchContext shifted{};
    for (int half = 0; half < 2; ++half)
      for (int i = 0; i < 12; ++i) shifted[size_t(half * 12 + (i + k) % 12)] = c[size_t(half * 12 + i)];
    const auto bs = key_prior_bias(shifted, A);
    for (int q = 0; q < 12; ++q) EXPECT_NEAR(bs[size_t((q + k) % 12)], b[size_t(q)], 1e-5f) << k << " " << q;
  }
}

// A second tempo / metre / key while still in the header must come later (dt >= 1): at time 0
// it would replace the first.
TEST(Grammar, HeaderHasOneTempoMetreAndKey) {
  const auto ev = continuo::testing::event;
  Grammar g;
  g.feed(ev(Kind::kBos, 0, 0, 0));
  Event tempo = ev(Kind::kTempo, 0, 0, 0);
  EXPECT_EQ(g.allowed(Field::kDt, tempo)[0], 1);
  g.feed(ev(Kind::kTempo, 0, 0, kTempoBase + 10));
  g.feed(ev(Kind::kTrack, 0, 0, kProgramBase));
  EXPECT_TRUE(g.in_header());
  EXPECT_TRUE(g.header_has(Kind::kTempo));
  EXPECT_FALSE(g.header_has(Kind::kTimeSig));
  EXPECT_FALSE(g.header_has(Kind::kKeySig));
  auto dt = g.allowed(Field::kDt, tempo);
  EXPECT_EQ(dt[0], 0);
  EXPECT_EQ(dt[1], 1);
  EXPECT_EQ(g.allowed(Field::kDt, ev(Kind::kTimeSig, 0, 0, 0))[0], 1);
  g.feed(ev(Kind::kNote, 5, 0, 60));   // the body: tempo changes at any dt
  EXPECT_FALSE(g.in_header());
  EXPECT_EQ(g.allowed(Field::kDt, tempo)[0], 1);
}

TEST(Tokenizer, CroppedWindowsCarryTheirHeaderAndPositions) {
  Tokenizer tok;
  const auto ev = tok.encode(example());
  const auto pos = Tokenizer::positions(ev);
  const size_t h = Tokenizer::header_length(ev);
  ASSERT_GT(h, 1u);
  for (size_t begin : {h, h + 7, ev.size() / 2, ev.size() - 10}) {
    const Window w = Tokenizer::crop(ev, pos, begin, std::min(ev.size(), begin + 100));
    ASSERT_FALSE(w.events.empty());
    EXPECT_EQ(w.events.front().kind(), Kind::kBos);
    EXPECT_EQ(w.pos, Tokenizer::positions(w.events)) << begin;
    // The window is grammatical: the grammar accepts each of its events.
    Grammar g(tok.options());
    for (const Event& e : w.events) {
      Event partial;
      for (int f = 0; f < kNumFields; ++f) {
        if (f > 0 && !g.fields_used(e.kind(), Field(f))) continue;
        const auto mask = g.allowed(Field(f), partial);
        ASSERT_TRUE(mask.at(e.f[f])) << "begin " << begin << ": " << Tokenizer::describe(e) << " field " << f;
        partial.f[f] = e.f[f];
      }
      g.feed(e);
    }
  }
}

// Samples a random grammatical sequence: every field uniformly among the values allowed.
std::vector<Event> random_sequence(std::mt19937& rng, size_t length, bool controls) {
  Options opt;
  opt.controls = controls;
  Grammar g(opt);
  std::vector<Event> out;
  while (out.size() < length && !g.ended()) {
    Event e;
    for (int f = 0; f < kNumFields; ++f) {
      if (f > 0 && !g.fields_used(e.kind(), Field(f))) continue;
      const auto mask = g.allowed(Field(f), e);
      std::vector<int> ok;
      for (int v = 0; v < int(mask.size()); ++v)
        if (mask[v]) ok.push_back(v);
      if (ok.empty()) ADD_FAILURE() << "no value allowed for field " << f << " after " << out.size() << " events";
      if (ok.empty()) return out;
      // Favour notes so that sequences have a body, not just header events.
      int v = ok[std::uniform_int_distribution<size_t>(0, ok.size() - 1)(rng)];
      if (f == 0 && std::count(ok.begin(), ok.end(), int(Kind::kNote)) && rng() % 3 != 0) v = int(Kind::kNote);
      if (f == 0 && v == int(Kind::kEos) && out.size() + 1 < length && ok.size() > 1 && rng() % 8 != 0) v = ok[0] == int(Kind::kEos) ? ok[1] : ok[0];
      e.f[f] = uint16_t(v);
    }
    g.feed(e);
    out.push_back(e);
  }
  return out;
}

TEST(Grammar, RandomGrammaticalSequencesDecodeToValidWritableScores) {
  std::mt19937 rng(7);
  Tokenizer tok;
  size_t total_notes = 0;
  for (int i = 0; i < 300; ++i) {
    const bool controls = i % 2 == 0;
    const auto seq = random_sequence(rng, 20 + rng() % 400, controls);
    ASSERT_FALSE(seq.empty());
    EXPECT_EQ(seq.front().kind(), Kind::kBos);
    score::Score s;
    ASSERT_NO_THROW(s = Tokenizer(Options{controls}).decode(seq)) << i;
    for (auto& t : s.tracks) {
      total_notes += t.notes.size();
      for (auto& n : t.notes) {
        EXPECT_LT(n.pitch, 128);
        EXPECT_GE(n.velocity, 1);
        EXPECT_GT(n.duration.count(), 0);
        EXPECT_GE(n.start.count(), 0);
      }
    }
    // Writable as MIDI and read back unchanged.
    std::vector<uint8_t> bytes;
    ASSERT_NO_THROW(bytes = score::serialize(s)) << i;
    score::Score back;
    ASSERT_NO_THROW(back = score::parse(bytes)) << i;
    size_t a = 0, b = 0;
    for (auto& t : s.tracks) a += t.notes.size();
    for (auto& t : back.tracks) b += t.notes.size();
    EXPECT_EQ(a, b) << i;
    EXPECT_TRUE(back == s) << i << ": the decoded score changes when written to MIDI and read back";
    // Re-encoding a decoded sequence is stable.
    EXPECT_EQ(tok.decode(tok.encode(s)), tok.canonical(s)) << i;
  }
  EXPECT_GT(total_notes, 1000u);
}

TEST(Grammar, FirstEventMustBeBosAndEosEnds) {
  Grammar g;
  const auto kinds = g.allowed(Field::kKind, Event{});
  for (int k = 0; k < int(kinds.size()); ++k) EXPECT_EQ(bool(kinds[k]), k == int(Kind::kBos)) << k;
  Event bos;
  bos.f[0] = uint16_t(Kind::kBos);
  g.feed(bos);
  EXPECT_FALSE(g.allowed(Field::kKind, Event{})[int(Kind::kBos)]);
  EXPECT_FALSE(g.allowed(Field::kKind, Event{})[int(Kind::kPad)]);
}

TEST(Grammar, ControlsCanBeForbidden) {
  Options opt;
  opt.controls = false;
  std::mt19937 rng(3);
  for (int i = 0; i < 50; ++i)
    for (const Event& e : random_sequence(rng, 200, false)) EXPECT_NE(e.kind(), Kind::kControl);
}

TEST(Tokenizer, DecodeSkipsUngrammaticalEvents) {
  Tokenizer tok;
  auto ev = tok.encode(example());
  const score::Score clean = tok.decode(ev);
  // A note on a track that was never declared, and a PAD in the middle: skipped, not fatal.
  Event bad;
  bad.f = {uint16_t(Kind::kNote), 0, uint16_t(kMaxTracks - 1), 60, 64, 10};
  ev.insert(ev.begin() + ev.size() / 2, bad);
  ev.insert(ev.begin() + ev.size() / 2, Event{});
  score::Score s;
  ASSERT_NO_THROW(s = tok.decode(ev));
  size_t a = 0, b = 0;
  for (auto& t : clean.tracks) a += t.notes.size();
  for (auto& t : s.tracks) b += t.notes.size();
  EXPECT_EQ(a, b);
}


// ---- copy proposals (CopyTracker)

Event note(int dt, int track, int pitch, int vel = 80, int dur = 11) {
  Event e = continuo::testing::event(Kind::kNote, dt, track, pitch);
  e[Field::kValue2] = uint16_t(vel);
  e[Field::kDuration] = uint16_t(dur);
  return e;
}

std::vector<Event> header_44() {
  return {continuo::testing::event(Kind::kBos, 0, 0, 0),
          continuo::testing::event(Kind::kTimeSig, 0, 0, kTimeSigBase + timesig_to_class(4, 4)),
          continuo::testing::event(Kind::kTrack, 0, 0, kProgramBase + 0)};
}

TEST(Copy, NothingToCopyInTheHeaderOrAtTheStart) {
  CopyTracker tr;
  for (const Event& e : header_44())
    for (const auto& p : tr.next(e)) EXPECT_FALSE(p.valid);
  for (const auto& p : tr.next(note(0, 0, 60))) EXPECT_FALSE(p.valid) << "one event: nothing earlier";
}

TEST(Copy, ContinuesTheLongestEarlierMatch) {
  // a phrase of 7 different notes (velocities vary), then the phrase again: from its first note on,
  // source 0 proposes exactly the note that followed the same notes the first time
  const int pitches[7] = {60, 62, 64, 65, 67, 69, 71};
  std::vector<Event> phrase;
  for (int i = 0; i < 7; ++i) phrase.push_back(note(i == 0 ? 24 : 12, 0, pitches[i], 60 + 5 * i));
  CopyTracker tr;
  for (const Event& e : header_44()) tr.next(e);
  for (const Event& e : phrase) tr.next(e);
  int proposed = 0;
  for (size_t i = 0; i < phrase.size(); ++i) {
    Event again = phrase[i];
    again[Field::kValue2] = 100;   // a different velocity does not break the match
    const auto& p = tr.next(again);
    if (i + 1 == phrase.size()) break;
    ASSERT_TRUE(p[0].valid) << i;
    EXPECT_TRUE(same_but_velocity(p[0].event, phrase[i + 1])) << i;
    EXPECT_EQ(p[0].event[Field::kValue2], phrase[i + 1][Field::kValue2]) << "the velocity proposed is the earlier one";
    EXPECT_EQ(p[0].length, copy_length_bucket(int(i) + 1)) << i;
    ++proposed;
  }
  EXPECT_EQ(proposed, 6);
}

TEST(Copy, SameTimeInEarlierBars) {
  // one bar of 4/4: quarter notes 60 62 64 65; then the first beat of the next bar
  CopyTracker tr;
  for (const Event& e : header_44()) tr.next(e);
  tr.next(note(0, 0, 60));
  tr.next(note(24, 0, 62));
  tr.next(note(24, 0, 64));
  tr.next(note(24, 0, 65));
  const auto& p = tr.next(note(24, 0, 67));   // bar 2, beat 1: one bar ago came 62, a beat later
  ASSERT_TRUE(p[1].valid);
  EXPECT_EQ(p[1].event[Field::kValue], 62);
  EXPECT_EQ(p[1].event[Field::kDt], 24);
  EXPECT_FALSE(p[2].valid) << "no two bars of history yet";
  // a chord: after its lower note, the same chord one bar ago proposes the upper note at dt 0
  CopyTracker tc;
  for (const Event& e : header_44()) tc.next(e);
  tc.next(note(0, 0, 60));
  tc.next(note(0, 0, 64));
  const auto& q = tc.next(note(96, 0, 60));
  ASSERT_TRUE(q[1].valid);
  EXPECT_EQ(q[1].event[Field::kValue], 64);
  EXPECT_EQ(q[1].event[Field::kDt], 0);
}

TEST(Copy, HitsCountCorrectProposals) {
  // a one-bar riff looped: the bar source is right every time from bar 2 on
  CopyTracker tr;
  for (const Event& e : header_44()) tr.next(e);
  CopyProposals last;
  for (int bar = 0; bar < 6; ++bar)
    for (int k = 0; k < 4; ++k) last = tr.next(note(k == 0 && bar == 0 ? 0 : 24, 0, 60 + 2 * k));
  ASSERT_TRUE(last[1].valid);
  EXPECT_EQ(last[1].hits, kCopyHitWindow);
  EXPECT_EQ(last[1].length, copy_length_bucket(19));
  ASSERT_TRUE(last[0].valid);
  EXPECT_EQ(last[0].length, copy_length_bucket(20));
  EXPECT_EQ(last[0].agree, 3) << "one, two and four bars ago all propose the same";
  EXPECT_EQ(last[1].agree, 3);
  EXPECT_EQ(last[0].distance, copy_log_bucket(4));
  // the tracker starts afresh at BOS
  for (const auto& p : tr.next(continuo::testing::event(Kind::kBos, 0, 0, 0))) EXPECT_FALSE(p.valid);
}

TEST(Copy, EachPartAtItsOwnPeriod) {
  // a band: drums (track 0) loop one bar, bass (track 1) two bars, and the melody (track 2)
  // never repeats. Sources 1-3 and the longest match get the drums and bass only part of the
  // time (the melody and the bass's other bar break them); source 4 follows each part at its
  // own period and gets almost every drum and bass event once the periods are established.
  struct Timed { int64_t time; Event e; };
  std::vector<Timed> notes;
  const int drums[4] = {36, 42, 38, 42};
  const int bass[2][2] = {{40, 43}, {45, 47}};
  uint32_t lcg = 12345;
  for (int bar = 0; bar < 16; ++bar) {
    const int64_t t0 = int64_t(bar) * 96;
    for (int b = 0; b < 4; ++b) notes.push_back({t0 + 24 * b, note(0, 0, drums[b])});
    for (int h = 0; h < 2; ++h) notes.push_back({t0 + 48 * h, note(0, 1, bass[bar % 2][h], 80, 47)});
    for (int m = 0; m < 3; ++m) {
      lcg = lcg * 1664525u + 1013904223u;
      notes.push_back({t0 + 12 + 24 * m + 12 * int((lcg >> 20) % 2), note(0, 2, 60 + int((lcg >> 24) % 24))});
    }
  }
  std::stable_sort(notes.begin(), notes.end(), [](const Timed& a, const Timed& b) {
    if (a.time != b.time) return a.time < b.time;
    if (a.e[Field::kTrack] != b.e[Field::kTrack]) return a.e[Field::kTrack] < b.e[Field::kTrack];
    return a.e[Field::kValue] < b.e[Field::kValue];
  });
  CopyTracker tr;
  for (const Event& e : header_44()) tr.next(e);
  CopyProposals prev{};
  int64_t now = 0;
  std::array<int, kCopySources> hit{};
  int counted = 0;
  for (const Timed& n : notes) {
    Event e = n.e;
    e[Field::kDt] = uint16_t(n.time - now);
    now = n.time;
    if (n.time >= 4 * 96 && e[Field::kTrack] != 2) {   // drums and bass from bar 5 on
      ++counted;
      for (int k = 0; k < kCopySources; ++k) hit[size_t(k)] += prev[size_t(k)].valid && same_but_velocity(prev[size_t(k)].event, e);
    }
    prev = tr.next(e);
  }
  ASSERT_GT(counted, 60);
  EXPECT_GE(hit[4], counted * 95 / 100) << "source 4: " << hit[4] << " of " << counted;
  for (int k = 0; k < 4; ++k) EXPECT_LT(hit[size_t(k)], counted * 80 / 100) << "source " << k << ": " << hit[size_t(k)] << " of " << counted;
}

TEST(Copy, TheGrooveAnchorBringsThePatternBackAfterAFill) {
  // eight bars of a one-bar drum groove (kick, hat, snare, hat), the prompt's last bar a tom fill;
  // then the continuation plays another bar of fill and goes back to the groove. Without the
  // anchor the part sources have lost the groove's period (its recent events do not repeat) and
  // copy the fill a bar later; anchored, they propose the groove from the first event after the
  // fill, taken from the last bar of the prompt that repeated the bar before it.
  const int groove[4] = {36, 42, 38, 42}, fill[4] = {50, 48, 47, 45};
  CopyTracker plain;
  for (const Event& e : header_44()) plain.next(e);
  auto bar = [](const int* p, bool first) {
    std::vector<Event> out;
    for (int b = 0; b < 4; ++b) out.push_back(note(first && b == 0 ? 0 : 24, 0, p[b]));
    return out;
  };
  for (int b = 0; b < 9; ++b)
    for (const Event& e : bar(b < 8 ? groove : fill, b == 0)) plain.next(e);
  CopyTracker drums_only = plain;
  drums_only.anchor(/*other_min_share=*/2.0);
  for (int k = 0; k < kCopySources; ++k) EXPECT_EQ(drums_only.anchor_share(k), 0.0f) << "track 0 is a piano here";
  CopyTracker anchored = plain;
  anchored.anchor();
  for (const Event& e : bar(fill, false)) {
    plain.next(e);
    anchored.next(e);
  }
  auto proposes = [](const CopyProposals& p, const Event& e) {
    for (int k = kCopyFirstSources; k < kCopySources; ++k)
      if (p[size_t(k)].valid && same_but_velocity(p[size_t(k)].event, e)) return k;
    return -1;
  };
  int hits_plain = 0, hits_anchored = 0;
  for (int b = 0; b < 2; ++b)
    for (const Event& e : bar(groove, false)) {
      hits_plain += proposes(plain.proposals(), e) >= 0;
      const int k = proposes(anchored.proposals(), e);
      if (k >= 0) {
        ++hits_anchored;
        EXPECT_NEAR(anchored.anchor_share(k), 28.0 / 32.0, 1e-6) << "the prompt's share of events repeated a bar later";
      }
      plain.next(e);
      anchored.next(e);
    }
  EXPECT_EQ(hits_anchored, 8);
  EXPECT_LE(hits_plain, 4) << "without the anchor the first groove bar after the fill is not proposed";
  for (int k = 0; k < kCopySources; ++k) EXPECT_EQ(plain.anchor_share(k), 0.0f);
}

TEST(Copy, TheVariationAnchorProposesTheChosenStretch) {
  // bars 1-2: a rising phrase on track 0 (in its first bar and a half); bars 3-4: other notes on track 0 and a bass on track 1,
  // which is silent in bars 1-2. Anchored to bars 1-2 at the end of bar 4 (infill's varied
  // candidates), the part sources propose the phrase from its start, note for note, as it is
  // played again; the plain tracker, which has never seen the phrase repeat, does not. Track 1
  // has no events in the stretch and is not anchored.
  struct Timed { int64_t time; Event e; };
  std::vector<Timed> notes;
  const int phrase[6] = {60, 62, 64, 65, 67, 69};
  for (int i = 0; i < 6; ++i) notes.push_back({24 * i, note(0, 0, phrase[i])});
  for (int i = 0; i < 4; ++i) notes.push_back({192 + 48 * i, note(0, 0, 50 + 3 * i)});
  for (int i = 0; i < 2; ++i) notes.push_back({192 + 96 * i, note(0, 1, 36)});
  std::stable_sort(notes.begin(), notes.end(), [](const Timed& a, const Timed& b) {
    return a.time != b.time ? a.time < b.time : a.e[Field::kTrack] < b.e[Field::kTrack];
  });
  CopyTracker plain;
  for (const Event& e : header_44()) plain.next(e);
  int64_t now = 0;
  for (const Timed& n : notes) {
    Event e = n.e;
    e[Field::kDt] = uint16_t(n.time - now);
    now = n.time;
    plain.next(e);
  }
  CopyTracker varied = plain;
  varied.anchor_to(0, 192);
  auto proposes = [](const CopyProposals& p, const Event& e) {
    for (int k = kCopyFirstSources; k < kCopySources; ++k)
      if (p[size_t(k)].valid && same_but_velocity(p[size_t(k)].event, e)) return k;
    return -1;
  };
  for (int k = kCopyFirstSources; k < kCopySources; ++k)
    if (varied.proposals()[size_t(k)].valid && varied.anchor_share(k) > 0)
      EXPECT_EQ(varied.proposals()[size_t(k)].event[Field::kTrack], 0) << "the bass is not anchored";
  int hits_plain = 0, hits_varied = 0;
  for (int i = 0; i < 6; ++i) {
    const Event e = note(i == 0 ? int(384 - now) : 24, 0, phrase[i]);
    hits_plain += proposes(plain.proposals(), e) >= 0;
    const int k = proposes(varied.proposals(), e);
    if (k >= 0) {
      ++hits_varied;
      EXPECT_EQ(varied.anchor_share(k), 1.0f);
    }
    plain.next(e);
    varied.next(e);
  }
  EXPECT_EQ(hits_varied, 6);
  EXPECT_LE(hits_plain, 3);
  // a stretch with no events anchors nothing
  CopyTracker empty = plain;
  empty.anchor_to(100000, 192);
  for (int k = 0; k < kCopySources; ++k) EXPECT_EQ(empty.anchor_share(k), 0.0f);
}

// A silence longer than limits::kMaxSilenceSteps is shortened by whole bars, keeping the bar
// phase of what follows; SilenceCuts maps the shortened times back. (Fifty notes 2^28-1 ticks
// apart at 1 tick per beat were billions of grid steps: tens of millions of WAIT events each.)
TEST(Silences, LongGapsAreShortenedByWholeBars) {
  score::Score s;
  s.ticks_per_beat = 1;
  score::Track t;
  t.program = 0;
  const int64_t gap = (int64_t(1) << 28) - 1;
  for (int i = 0; i < 50; ++i) t.notes.push_back({Ticks{i * gap}, Ticks{1}, uint8_t(60 + i % 12), 90});
  s.tracks.push_back(t);
  Tokenizer tok;
  SilenceCuts cuts;
  const auto ev = tok.encode(s, &cuts);
  EXPECT_LT(ev.size(), 50u * 4 + 10) << "at most a few WAITs per gap";
  const score::Score c = tok.canonical(s);
  EXPECT_TRUE(tok.decode(ev) == c);
  ASSERT_EQ(c.tracks.size(), 1u);
  ASSERT_EQ(c.tracks[0].notes.size(), 50u);
  for (int i = 0; i < 50; ++i) {
    const int64_t at = c.tracks[0].notes[size_t(i)].start.count(), orig = i * gap * kStepsPerBeat;
    EXPECT_EQ(cuts.to_original(at), orig) << i;
    EXPECT_EQ(at % 96, orig % 96) << "bar phase kept";
    if (i > 0) {
      const int64_t d = at - c.tracks[0].notes[size_t(i - 1)].start.count();
      EXPECT_GT(d, limits::kMaxSilenceSteps) << i;
      EXPECT_LE(d, limits::kMaxSilenceSteps + 96 + 24) << i;
    }
  }
  // a score without long silences is left as it was, and has no cuts
  score::Score shortgap = s;
  for (int i = 0; i < 50; ++i) shortgap.tracks[0].notes[size_t(i)].start = Ticks{i * 3};
  tok.encode(shortgap, &cuts);
  EXPECT_TRUE(cuts.at_shift.empty());
  EXPECT_EQ(tok.canonical(shortgap).tracks[0].notes.back().start.count(), 49 * 3 * kStepsPerBeat);
}

// The known-future features: where the next known note is, the pitch classes and counts of
// the 8 beats from it, the pitch classes of the next beat, the lowest pitch.
TEST(FutureContext, DescribesTheNextKnownNotes) {
  const int64_t b = kStepsPerBeat;
  std::vector<KnownNote> known = {{4 * b, 60, false}, {4 * b, 64, false}, {4 * b, 36, true},
                                  {5 * b, 67, false}, {11 * b, 48, false}, {12 * b + 1, 61, false}};
  auto f = future_context(known, 0);
  EXPECT_EQ(f[0], 1.0f);
  // distance 4 beats: buckets 0, <1, <2, <4, <8, >=8 -> index 1 + 4
  EXPECT_EQ(f[5], 1.0f);
  EXPECT_EQ(f[1] + f[2] + f[3] + f[4] + f[6], 0.0f);
  // window [4 b, 12 b): pitched 60, 64, 67, 48 (61 at 12 b + 1 is outside), one drum
  EXPECT_FLOAT_EQ(f[7 + 0], 0.5f);   // C: 60 and 48
  EXPECT_FLOAT_EQ(f[7 + 4], 0.25f);
  EXPECT_FLOAT_EQ(f[7 + 7], 0.25f);
  EXPECT_FLOAT_EQ(f[7 + 1], 0.0f);
  EXPECT_FLOAT_EQ(f[19], float(std::log1p(4.0) / 4));
  EXPECT_FLOAT_EQ(f[20], float(std::log1p(1.0) / 4));
  EXPECT_FLOAT_EQ(f[33], 48.0f / 127);
  for (int i = 21; i < 33; ++i) EXPECT_EQ(f[size_t(i)], 0.0f) << "nothing known within a beat of 0";
  // at the known notes' own time: distance 0, and the next beat's pitch classes are theirs
  f = future_context(known, 4 * b);
  EXPECT_EQ(f[1], 1.0f);
  EXPECT_FLOAT_EQ(f[21 + 0], 0.5f);
  EXPECT_FLOAT_EQ(f[21 + 4], 0.5f);
  // after every known note: only "none left"
  f = future_context(known, 13 * b);
  EXPECT_EQ(f[0], 1.0f);
  EXPECT_EQ(f[6], 1.0f);
  float rest = 0;
  for (int i = 7; i < kFutureContextSize; ++i) rest += f[size_t(i)];
  EXPECT_EQ(rest, 0.0f);
}

}  // namespace
}  // namespace continuo::tokenizer
