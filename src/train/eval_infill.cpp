// `continuo eval --infill` and `--accompany` (docs/EVAL.md): how a rewritten passage leads into
// what follows and how it compares with the true one; how an accompaniment fits its melody.
#include <algorithm>
#include <array>
#include <chrono>
#include <cmath>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <tuple>

#include <nlohmann/json.hpp>

#include "continuo/error.hpp"
#include "continuo/midi.hpp"   // write_file_atomic
#include "continuo/eval.hpp"
#include "continuo/score.hpp"
#include "continuo/tasks.hpp"

namespace continuo::eval {
using tokenizer::Event;
using tokenizer::Field;
using tokenizer::Kind;

namespace {

double now_seconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
}

// The notes of a score that start in [a, b) (ticks), with their track's instrument.
struct Passage {
  std::array<double, 12> pc{};       // pitched notes' pitch classes, normalised
  std::map<int64_t, double> ioi;     // inter-onset intervals in 1/24 beats (1..192), normalised
  std::set<int> instruments;         // program, or 128 + kit for drums
  double notes = 0, beats = 1;
};

Passage passage(const score::Score& s, int64_t a, int64_t b, int64_t a2 = 0, int64_t b2 = 0) {
  Passage p;
  const int tpb = s.ticks_per_beat > 0 ? s.ticks_per_beat : 480;
  std::vector<int64_t> onsets;
  double pitched = 0;
  for (const auto& t : s.tracks)
    for (const auto& n : t.notes) {
      const int64_t at = n.start.count();
      if ((at < a || at >= b) && (at < a2 || at >= b2)) continue;
      p.notes += 1;
      p.instruments.insert(t.is_drum ? 128 + t.program : t.program);
      onsets.push_back(at * tokenizer::kStepsPerBeat / tpb);
      if (!t.is_drum) {
        p.pc[size_t(n.pitch % 12)] += 1;
        pitched += 1;
      }
    }
  if (pitched > 0)
    for (double& x : p.pc) x /= pitched;
  std::sort(onsets.begin(), onsets.end());
  onsets.erase(std::unique(onsets.begin(), onsets.end()), onsets.end());
  double n = 0;
  for (size_t i = 1; i < onsets.size(); ++i) p.ioi[std::min<int64_t>(onsets[i] - onsets[i - 1], 192)] += 1, n += 1;
  for (auto& [k, v] : p.ioi) v /= n;
  p.beats = std::max(1.0, double((b - a) + (b2 - a2)) / tpb);
  return p;
}

// pitch-class L1, |log density ratio|, IOI overlap of two passages
std::array<double, 3> compare(const Passage& x, const Passage& y) {
  double l1 = 0;
  for (int i = 0; i < 12; ++i) l1 += std::abs(x.pc[size_t(i)] - y.pc[size_t(i)]);
  double ov = 0;
  for (const auto& [key, v] : y.ioi)
    if (auto it = x.ioi.find(key); it != x.ioi.end()) ov += std::min(v, it->second);
  return {l1, std::abs(std::log(std::max(x.notes, 1.0) / x.beats / (std::max(y.notes, 1.0) / y.beats))), ov};
}

// Bits per note of the events of `s` (as the model reads it) in [a, b) ticks, each given all before it.
struct Span {
  double nats = 0;
  int64_t notes = 0;
};
std::pair<Span, Span> seam_bits(const engine::Model& m, const score::Score& s, int64_t a, int64_t b, int64_t c) {
  std::vector<Event> ev = tokenizer::Tokenizer({m.config().controls}).encode(s);
  if (!ev.empty() && ev.back().kind() == Kind::kEos) ev.pop_back();
  const auto nll = engine::score_events(m, ev);
  const int tpb = s.ticks_per_beat > 0 ? s.ticks_per_beat : 480;
  auto step = [&](int64_t tick) { return (tick * tokenizer::kStepsPerBeat + tpb / 2) / tpb; };
  std::pair<Span, Span> out;
  int64_t t = 0;
  const size_t h = tokenizer::Tokenizer::header_length(ev);
  for (size_t i = 0; i < ev.size(); ++i) {
    t += ev[i][Field::kDt];
    if (i < h) continue;
    Span* sp = t >= step(a) && t < step(b) ? &out.first : t >= step(b) && t < step(c) ? &out.second : nullptr;
    if (!sp) continue;
    sp->nats += nll[i];
    sp->notes += ev[i].kind() == Kind::kNote;
  }
  return out;
}

// The share of the notes of `x` starting in [a, e) that repeat a note of `s` one passage-length
// earlier: the same track, pitch and onset on the model's grid.
double repeated_share(const score::Score& x, const score::Score& s, int64_t a, int64_t e) {
  const int tpb = s.ticks_per_beat > 0 ? s.ticks_per_beat : 480;
  auto step = [&](int64_t tick) { return (tick * tokenizer::kStepsPerBeat + tpb / 2) / tpb; };
  std::set<std::tuple<size_t, int, int64_t>> before;
  for (size_t t = 0; t < s.tracks.size(); ++t)
    for (const auto& n : s.tracks[t].notes)
      if (n.start.count() >= a - (e - a) && n.start.count() < a) before.insert({t, n.pitch, step(n.start.count() + (e - a))});
  double all = 0, same = 0;
  for (size_t t = 0; t < x.tracks.size(); ++t)
    for (const auto& n : x.tracks[t].notes)
      if (n.start.count() >= a && n.start.count() < e) {
        all += 1;
        same += before.count({t, n.pitch, step(n.start.count())}) > 0;
      }
  return all > 0 ? same / all : 0;
}

// `s` with the notes that start in [a, b) removed from every track
// The share of the pitched notes of `x` starting in [a, e) that lie more than 2 semitones outside
// the pitch range of the same track of `s` in [a0, a) and [e, end); tracks with no notes there are
// not counted.
double outside_range(const score::Score& x, const score::Score& s, int64_t a0, int64_t a, int64_t e, int64_t end) {
  double all = 0, out = 0;
  for (size_t t = 0; t < x.tracks.size() && t < s.tracks.size(); ++t) {
    if (s.tracks[t].is_drum) continue;
    int lo = 128, hi = -1;
    for (const auto& n : s.tracks[t].notes) {
      const int64_t at = n.start.count();
      if ((at >= a0 && at < a) || (at >= e && at < end)) lo = std::min<int>(lo, n.pitch), hi = std::max<int>(hi, n.pitch);
    }
    if (hi < 0) continue;
    for (const auto& n : x.tracks[t].notes)
      if (n.start.count() >= a && n.start.count() < e) {
        all += 1;
        out += n.pitch < lo - 2 || n.pitch > hi + 2;
      }
  }
  return all > 0 ? out / all : 0;
}

score::Score without(const score::Score& s, int64_t a, int64_t b) {
  score::Score out = s;
  for (auto& t : out.tracks) std::erase_if(t.notes, [&](const score::Note& n) { return n.start.count() >= a && n.start.count() < b; });
  return out;
}

}  // namespace

std::vector<InfillRow> infill_eval(const engine::Model& m, const train::Split& split, const InfillEvalOptions& opt,
                                   const std::function<void(const std::string&)>& log) {
  const int A = opt.context_bars, total = opt.context_bars + opt.bars + 2 * opt.seam_bars;   // bars, 0-based start of the passage
  const tokenizer::Tokenizer tok;
  // pieces with at least `total` bars of one length and notes in the passage and the seam
  std::vector<size_t> eligible;
  for (size_t d = 0; d < split.size(); ++d) {
    const auto ev = split.events(d);
    if (ev.size() < 200) continue;
    eligible.push_back(d);
  }
  const bool future = m.config().future_context;
  std::vector<InfillRow> rows(future ? 5 : 4);
  rows[0].label = "true passage";
  rows[1].label = "the bars before, copied";
  rows[2].label = "continuation (no lookahead)";
  rows[3].label = "infill, " + std::to_string(opt.candidates) + (future ? " cand." : " candidates") +
                  (future ? (opt.known_future ? ", knowing what follows" : ", blind to what follows") : "");
  if (future) rows[4].label = "infill, 1 cand., knowing what follows";
  // spread over the split: the eligible pieces in a fixed shuffled order
  std::mt19937_64 order(12345);
  std::shuffle(eligible.begin(), eligible.end(), order);
  int used = 0;
  std::string candidates_log;
  for (size_t k = 0; k < eligible.size() && used < opt.pieces; ++k) {
    const size_t d = eligible[k];
    score::Score full = tok.decode(split.events(d));
    if (score::bar_count(full) < total) continue;
    score::Score s = score::slice_bars(full, 0, total);
    const int64_t bar_len = score::bar_start(s, 1).count() - score::bar_start(s, 0).count();
    bool regular = bar_len > 0;
    for (int b = 1; b <= total && regular; ++b)
      regular = score::bar_start(s, b).count() - score::bar_start(s, b - 1).count() == bar_len;
    if (!regular) continue;
    const int64_t a = score::bar_start(s, A).count(), e = score::bar_start(s, A + opt.bars).count();
    const int64_t sm = score::bar_start(s, A + opt.bars + opt.seam_bars).count(), end = score::bar_start(s, total).count();
    const Passage truth = passage(s, a, e);
    // the surroundings: the bars before the passage and all after it (the same in every row)
    const Passage around = passage(s, a - opt.bars * bar_len, a, e, end);
    if (truth.notes < 8 || passage(s, e, sm).notes < 4 || passage(s, a - opt.bars * bar_len, a).notes < 4) continue;
    ++used;
    std::string detail;
    auto add = [&](InfillRow& r, const score::Score& x, double seconds) {
      const auto [seam, later] = seam_bits(m, x, e, sm, end);
      r.seam_nats += seam.nats;
      r.seam_notes += seam.notes;
      r.later_nats += later.nats;
      r.later_notes += later.notes;
      const Passage p = passage(x, a, e);
      const auto c = compare(p, around);
      r.around_pc_l1 += c[0];
      r.around_density += c[1];
      r.around_ioi += c[2];
      const double rep = repeated_share(x, s, a, e);
      r.repeats += rep;
      r.outside_range += outside_range(x, s, a - opt.bars * bar_len, a, e, end);
      double l1 = 0;
      for (int i = 0; i < 12; ++i) l1 += std::abs(p.pc[size_t(i)] - truth.pc[size_t(i)]);
      r.pitch_class_l1 += l1;
      r.density += std::abs(std::log(std::max(p.notes, 1.0) / truth.notes));
      double ov = 0;
      for (const auto& [key, v] : truth.ioi)
        if (auto it = p.ioi.find(key); it != p.ioi.end()) ov += std::min(v, it->second);
      r.ioi_overlap += ov;
      std::set<int> u = truth.instruments, in;
      u.insert(p.instruments.begin(), p.instruments.end());
      for (int i : truth.instruments)
        if (p.instruments.count(i)) in.insert(i);
      r.instrument_jaccard += u.empty() ? 1.0 : double(in.size()) / double(u.size());
      r.seconds += seconds;
      ++r.pieces;
      char buf[96];
      std::snprintf(buf, sizeof buf, " %.2f/%.0f/%.2f", seam.notes ? seam.nats / seam.notes / std::log(2.0) : 0.0, p.notes, rep);
      detail += buf;
    };
    add(rows[0], s, 0);
    // the bars before, copied in
    score::Score copied = without(s, a, e);
    for (auto& t : copied.tracks) {
      std::vector<score::Note> extra;
      for (const auto& n : t.notes)
        if (n.start.count() >= a - opt.bars * bar_len && n.start.count() < a) {
          score::Note c = n;
          c.start = Ticks{n.start.count() + opt.bars * bar_len};
          extra.push_back(c);
        }
      t.notes.insert(t.notes.end(), extra.begin(), extra.end());
    }
    score::normalize(copied);
    add(rows[1], copied, 0);
    for (int r = 2; r < int(rows.size()); ++r) {
      tasks::InfillOptions io;
      io.first_bar = A + 1;
      io.last_bar = A + opt.bars;
      io.candidates = r == 3 ? opt.candidates : 1;
      io.known_future = r == 4 || (r == 3 && opt.known_future);
      io.lookahead_bars = opt.seam_bars;
      if (opt.density_weight >= 0) io.density_weight = opt.density_weight;
      if (opt.model_density >= 0) io.model_density = opt.model_density;
      if (opt.vary_share >= 0) io.vary_share = opt.vary_share;
      if (opt.vary_strength >= 0) io.vary_strength = opt.vary_strength;
      if (opt.max_repeat >= 0) io.max_repeat = opt.max_repeat;
      if (opt.range_weight >= 0) io.range_weight = opt.range_weight;
      if (opt.steer_strength >= 0) io.steer_strength = opt.steer_strength;
      if (opt.steer_share >= 0) io.steer_share = opt.steer_share;
      if (opt.match_weight >= 0) io.match_weight = opt.match_weight;
      if (opt.match_distance >= 0) io.match_distance = opt.match_distance;
      // the plain continuation ignores what follows: not steered toward a count taken from it
      if (r == 2) io.steer_strength = 0;
      io.sampling.temperature = opt.temperature;
      io.sampling.top_p = opt.top_p;
      io.sampling.key_strength = opt.key_strength;
      io.sampling.seed = opt.seed + d;
      if (r == 3 && !opt.candidates_log.empty())
        io.on_candidate = [&](const tasks::InfillCandidate& c) {
          const nlohmann::json j = {{"piece", used},
                                    {"truth_notes", truth.notes},
                                    {"candidate", c.index},
                                    {"varied", c.varied},
                                    {"steered", c.steered},
                                    {"kept_out", c.kept_out},
                                    {"chosen", c.chosen},
                                    {"lookahead_nats", c.lookahead_nats},
                                    {"lookahead_events", c.lookahead_events},
                                    {"notes", c.notes},
                                    {"expected_notes", c.expected_notes},
                                    {"repeated", c.repeated},
                                    {"outside", c.outside},
                                    {"score", c.score}};
          candidates_log += j.dump() + "\n";
        };
      const double t0 = now_seconds();
      auto outs = tasks::infill(m, opt.whole_pieces ? full : s, io);
      const double seconds = now_seconds() - t0;
      if (opt.whole_pieces) outs[0] = score::slice_bars(outs[0], 0, total);
      add(rows[size_t(r)], outs[0], seconds);
      if (!opt.save_dir.empty()) {
        score::save(s, opt.save_dir + "/piece" + std::to_string(used) + "-truth.mid");
        score::save(outs[0], opt.save_dir + "/piece" + std::to_string(used) + (r == 2 ? "-continuation.mid" : r == 3 ? "-infill.mid" : "-infill1.mid"));
      }
    }
    // the true notes of each of the `total` bars (for studying how a passage's density follows from
    // its surroundings)
    std::string per_bar;
    for (int b = 0; b < total; ++b)
      per_bar += " " + std::to_string(int(passage(s, score::bar_start(s, b).count(), score::bar_start(s, b + 1).count()).notes));
    if (log)
      log("piece " + std::to_string(used) + ": " + split.files[d] + "  seam bits/note / passage notes / repeats (truth, copy, continuation, infill):" +
          detail + "  notes per bar:" + per_bar);
  }
  if (!opt.candidates_log.empty()) write_file_atomic(opt.candidates_log, std::string_view(candidates_log));
  for (auto& r : rows) {
    if (r.pieces == 0) continue;
    r.pitch_class_l1 /= r.pieces;
    r.density /= r.pieces;
    r.ioi_overlap /= r.pieces;
    r.instrument_jaccard /= r.pieces;
    r.seconds /= r.pieces;
    r.around_pc_l1 /= r.pieces;
    r.around_density /= r.pieces;
    r.around_ioi /= r.pieces;
    r.repeats /= r.pieces;
    r.outside_range /= r.pieces;
  }
  return rows;
}

namespace {

// Per beat (ticks / tpb), the pitch classes sounding in a track.
std::vector<uint16_t> beat_chroma(const score::Track& t, int tpb, int beats) {
  std::vector<uint16_t> out(size_t(std::max(beats, 0)), 0);
  for (const auto& n : t.notes) {
    const int64_t b0 = n.start.count() / tpb, b1 = (n.start.count() + std::max<int64_t>(n.duration.count(), 1) - 1) / tpb;
    for (int64_t b = std::max<int64_t>(b0, 0); b <= b1 && b < beats; ++b) out[size_t(b)] |= uint16_t(1u << (n.pitch % 12));
  }
  return out;
}

std::set<int64_t> onsets(const score::Track& t, int tpb) {   // on a sixteenth-note grid
  std::set<int64_t> out;
  for (const auto& n : t.notes) out.insert((n.start.count() * 4 + tpb / 2) / tpb);
  return out;
}

std::string lower(std::string s) {
  for (char& c : s) c = char(std::tolower(static_cast<unsigned char>(c)));
  return s;
}

}  // namespace

std::vector<AccompanyRow> accompany_eval(const engine::Model& m, const std::string& folder, const AccompanyEvalOptions& opt,
                                         const std::function<void(const std::string&)>& log) {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  if (!fs::is_directory(folder)) throw Error(ErrorCode::kNotFound, folder + ": not a folder");
  for (const auto& f : fs::recursive_directory_iterator(folder)) {
    const std::string p = f.path().string();
    if (!f.is_regular_file() || p.find("/versions/") != std::string::npos) continue;
    const std::string ext = lower(f.path().extension().string());
    if (ext == ".mid" || ext == ".midi") files.push_back(p);
  }
  std::sort(files.begin(), files.end());
  const bool future = m.config().future_context;
  std::vector<AccompanyRow> rows(future ? 4 : 3);
  rows[0].label = "true accompaniment";
  rows[1].label = "accompany, 1 candidate (no lookahead)";
  rows[2].label = "accompany, " + std::to_string(opt.candidates) + (future ? " cand." : " candidates") +
                  (future ? (opt.known_future ? ", knowing the melody" : ", blind to the melody") : "");
  if (future) rows[3].label = "accompany, 1 cand., knowing the melody";
  int used = 0;
  for (size_t k = 0; k < files.size() && used < opt.pieces; ++k) {
    score::Score full;
    try {
      full = score::load(files[k]);
    } catch (const Error&) {
      continue;
    }
    int mel = -1, acc = -1;
    for (size_t i = 0; i < full.tracks.size(); ++i) {
      const std::string n = lower(full.tracks[i].name);
      if (n == "melody") mel = int(i);
      if (n == "piano") acc = int(i);
    }
    if (mel < 0 || acc < 0 || score::bar_count(full) < opt.bars) continue;
    score::Score s = score::slice_bars(full, 0, opt.bars);
    score::Score two = s;
    two.tracks = {s.tracks[size_t(mel)], s.tracks[size_t(acc)]};
    if (two.tracks[0].notes.size() < 16 || two.tracks[1].notes.size() < 16) continue;
    ++used;
    const int tpb = two.ticks_per_beat > 0 ? two.ticks_per_beat : 480;
    const int beats = int(score::bar_start(two, opt.bars).count() / tpb);
    const auto melody = beat_chroma(two.tracks[0], tpb, beats), truth = beat_chroma(two.tracks[1], tpb, beats);
    const auto mel_on = onsets(two.tracks[0], tpb);
    std::string detail;
    auto add = [&](AccompanyRow& r, const score::Track& t, double seconds) {
      const auto g = beat_chroma(t, tpb, beats);
      double jt = 0, cover = 0;
      int nt = 0, nc = 0;
      for (int b = 0; b < beats; ++b) {
        const uint16_t x = g[size_t(b)], y = truth[size_t(b)], mm = melody[size_t(b)];
        if (x | y) {
          jt += double(__builtin_popcount(x & y)) / __builtin_popcount(x | y);
          ++nt;
        }
        if (mm && x) {
          cover += double(__builtin_popcount(x & mm)) / __builtin_popcount(mm);
          ++nc;
        }
      }
      const auto on = onsets(t, tpb);
      size_t both = 0;
      for (int64_t o : on) both += mel_on.count(o);
      const double prec = on.empty() ? 0 : double(both) / double(on.size()), rec = mel_on.empty() ? 0 : double(both) / double(mel_on.size());
      const double f1 = prec + rec > 0 ? 2 * prec * rec / (prec + rec) : 0;
      r.pc_vs_truth += nt ? jt / nt : 0;
      r.melody_cover += nc ? cover / nc : 0;
      r.onset_f1 += f1;
      r.notes_per_beat += double(t.notes.size()) / std::max(beats, 1);
      // voicing: above the melody, or doubling it
      size_t under = 0, above = 0, doubled = 0;
      for (const auto& n : t.notes) {
        int top = -1;
        bool same = false;
        for (const auto& mn : two.tracks[0].notes) {
          if (mn.start.count() > n.start.count() ||
              mn.start.count() + std::max<int64_t>(mn.duration.count(), 1) <= n.start.count())
            continue;
          top = std::max<int>(top, mn.pitch);
          same = same || (mn.pitch == n.pitch && n.start.count() - mn.start.count() < tpb / 4);
        }
        if (top < 0) continue;
        ++under;
        above += n.pitch > top;
        doubled += same;
      }
      r.above_melody += under ? double(above) / double(under) : 0;
      r.unison += under ? double(doubled) / double(under) : 0;
      r.seconds += seconds;
      ++r.pieces;
      char buf[80];
      std::snprintf(buf, sizeof buf, " %.2f/%.2f/%.2f", nt ? jt / nt : 0, nc ? cover / nc : 0, f1);
      detail += buf;
    };
    add(rows[0], two.tracks[1], 0);
    for (int r = 1; r < int(rows.size()); ++r) {
      tasks::AccompanyOptions ao;
      ao.keep = {0};
      ao.instruments = {{0, false}};
      ao.candidates = r == 2 ? opt.candidates : 1;
      ao.known_future = r == 3 || (r == 2 && opt.known_future);
      if (r == 2) ao.lookahead_weight = opt.lookahead_weight;
      ao.chunk_bars = opt.chunk_bars;
      if (opt.density_weight >= 0) ao.density_weight = opt.density_weight;
      if (opt.melody_on_top >= 0) ao.melody_on_top = opt.melody_on_top;
      if (opt.follow_rhythm >= 0) ao.follow_rhythm = opt.follow_rhythm;
      if (opt.vary_share >= 0) ao.vary_share = opt.vary_share;
      if (opt.vary_strength >= 0) ao.vary_strength = opt.vary_strength;
      ao.sampling.temperature = opt.temperature;
      ao.sampling.top_p = opt.top_p;
      ao.sampling.key_strength = opt.key_strength;
      ao.sampling.seed = opt.seed + k;
      score::Score in = two;
      in.tracks.resize(1);
      const double t0 = now_seconds();
      auto outs = tasks::accompany(m, in, ao);
      add(rows[size_t(r)], outs[0].tracks.at(1), now_seconds() - t0);
      if (!opt.save_dir.empty()) {
        score::save(two, opt.save_dir + "/song" + std::to_string(used) + "-truth.mid");
        score::save(outs[0], opt.save_dir + "/song" + std::to_string(used) + (r == 1 ? "-one.mid" : r == 2 ? "-chosen.mid" : "-one-knowing.mid"));
      }
    }
    if (log) log("song " + std::to_string(used) + ": " + files[k] + "  pc J vs truth / melody cover / onset F1 (truth, 1, chosen):" + detail);
  }
  for (auto& r : rows) {
    if (r.pieces == 0) continue;
    r.pc_vs_truth /= r.pieces;
    r.melody_cover /= r.pieces;
    r.onset_f1 /= r.pieces;
    r.notes_per_beat /= r.pieces;
    r.above_melody /= r.pieces;
    r.unison /= r.pieces;
    r.seconds /= r.pieces;
  }
  return rows;
}

}  // namespace continuo::eval
