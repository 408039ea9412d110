// `continuo eval --continuations`: does a continuation stay close to its prompt, as close as the
// real continuation does? Pitch classes, note density, velocities and instruments.
#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <optional>
#include <set>
#include <tuple>

#include "continuo/eval.hpp"
#include "continuo/score.hpp"
#include "continuo/tokenizer.hpp"
#include "train/main_pitch_classes.hpp"

namespace continuo::eval {
using tokenizer::Event;
using tokenizer::Field;
using tokenizer::Kind;

namespace {

struct Note {
  int64_t t = 0;
  int track = 0, pitch = 0, velocity = 0, duration = 0, instrument = 0;
};

// The notes of events [begin, end) of a sequence whose header declares the tracks, with the
// time signature's bar length in force at `begin` (grid steps) and the time of the last event
// before `begin`.
struct Notes {
  std::vector<Note> notes;
  int64_t bar = 4 * tokenizer::kStepsPerBeat, anchor = 0, start = 0, end_time = 0;
};
Notes notes_of(const std::vector<Event>& seq, size_t begin, size_t end) {
  std::vector<int> track_value(tokenizer::kMaxTracks, 0);
  for (const auto& e : seq)
    if (e.kind() == Kind::kTrack) track_value[e[Field::kTrack]] = e[Field::kValue];
  Notes out;
  int64_t now = 0;
  for (size_t i = 0; i < end && i < seq.size(); ++i) {
    now += seq[i][Field::kDt];
    if (i < begin) out.start = now;
    if (seq[i].kind() == Kind::kTimeSig && i < begin) {
      auto [num, den] = tokenizer::timesig_from_class(seq[i][Field::kValue] - tokenizer::kTimeSigBase);
      out.bar = std::max<int64_t>(1, int64_t(num) * 4 * tokenizer::kStepsPerBeat / std::max(1, den));
      out.anchor = now;
    }
    out.end_time = now;
    if (i < begin || seq[i].kind() != Kind::kNote) continue;
    const Event& e = seq[i];
    out.notes.push_back({now, e[Field::kTrack], e[Field::kValue], e[Field::kValue2], e[Field::kDuration] + 1,
                         track_value[e[Field::kTrack]]});
  }
  return out;
}

struct Profile {
  std::array<double, 12> pc{};
  int notes = 0;
  double beats = 0;
  std::vector<int> velocities;
  std::set<int> instruments;   // TRACK values of tracks that play
  std::map<int64_t, double> ioi;   // inter-onset intervals (steps, 1..192), normalised
};

Profile profile(const std::vector<Note>& notes) {
  Profile p;
  int64_t first = -1, last = 0, prev = -1;
  for (const Note& n : notes) {
    if (first < 0) first = n.t;
    last = n.t;
    p.instruments.insert(n.instrument);
    p.velocities.push_back(n.velocity);
    ++p.notes;
    if (n.instrument < tokenizer::kDrumKitBase) p.pc[size_t(n.pitch % 12)] += 1;
    if (prev >= 0 && n.t > prev) p.ioi[std::min<int64_t>(n.t - prev, 192)] += 1;
    prev = n.t;
  }
  p.beats = std::max(1.0, double(last - std::max<int64_t>(first, 0)) / tokenizer::kStepsPerBeat);
  double s = 0;
  for (double x : p.pc) s += x;
  if (s > 0)
    for (double& x : p.pc) x /= s;
  double t = 0;
  for (auto& [k, v] : p.ioi) t += v;
  for (auto& [k, v] : p.ioi) v /= t;
  std::sort(p.velocities.begin(), p.velocities.end());
  return p;
}

// Share of the bars of `cont` (whole bars after its start) whose notes (onset in the bar, track,
// pitch, duration) repeat those of an earlier non-empty bar of prompt or continuation exactly.
// Returns {repeating bars, bars}.
std::pair<int, int> repeated_bars(const Notes& prompt, const Notes& cont) {
  using Bar = std::vector<std::tuple<int64_t, int, int, int>>;
  std::map<int64_t, Bar> bars;
  const int64_t L = prompt.bar, a = prompt.anchor;
  auto bar_of = [&](int64_t t) { return t >= a ? (t - a) / L : -1 - (a - t - 1) / L; };
  for (const Notes* ns : {&prompt, &cont})
    for (const Note& n : ns->notes) bars[bar_of(n.t)].push_back({n.t - (a + bar_of(n.t) * L), n.track, n.pitch, n.duration});
  for (auto& [k, b] : bars) std::sort(b.begin(), b.end());
  // whole bars of the continuation: starting at or after its start, ending by its last event
  const int64_t first = bar_of(cont.start) + ((cont.start - a) % L != 0 ? 1 : 0);
  const int64_t last = bar_of(cont.end_time) - 1;
  int rep = 0, total = 0;
  std::set<Bar> seen;
  for (auto& [k, b] : bars)
    if (k < first && !b.empty()) seen.insert(b);
  for (int64_t k = first; k <= last; ++k) {
    auto it = bars.find(k);
    const Bar empty;
    const Bar& b = it == bars.end() ? empty : it->second;
    ++total;
    if (!b.empty() && seen.count(b)) ++rep;
    if (!b.empty()) seen.insert(b);
  }
  return {rep, total};
}

// The groove: the overlap of the histograms of (place in the bar, drum) of the prompt's drum
// hits and the continuation's; nothing for a prompt with fewer than 16 drum hits.
std::optional<double> groove_overlap(const Notes& prompt, const Notes& cont) {
  const int64_t L = prompt.bar, a = prompt.anchor;
  auto hist = [&](const Notes& ns) {
    std::map<std::pair<int64_t, int>, double> h;
    double n = 0;
    for (const Note& x : ns.notes)
      if (x.instrument >= tokenizer::kDrumKitBase) {
        h[{((x.t - a) % L + L) % L, x.pitch}] += 1;
        n += 1;
      }
    for (auto& [k, v] : h) v /= n;
    return std::pair{h, n};
  };
  const auto [hp, np] = hist(prompt);
  if (np < 16) return std::nullopt;
  const auto [hc, nc] = hist(cont);
  double overlap = 0;
  for (const auto& [k, v] : hp)
    if (auto it = hc.find(k); it != hc.end()) overlap += std::min(v, it->second);
  return overlap;
}

// Part presence: for each track with at least 4 notes in the prompt's last 4 bars, (whole bars
// of the continuation, those in which the track plays a note).
std::pair<int64_t, int64_t> part_presence(const Notes& prompt, const Notes& cont) {
  const int64_t L = prompt.bar, a = prompt.anchor;
  std::map<int, int> tail;
  for (const Note& n : prompt.notes)
    if (n.t > prompt.end_time - 4 * L) ++tail[n.track];
  // the continuation's whole bars: from the first bar line after the prompt to the last before its end
  const int64_t first = a + ((std::max(prompt.end_time, a) - a + L - 1) / L) * L;
  const int64_t bars = cont.end_time > first ? (cont.end_time - first) / L : 0;
  int64_t total = 0, played = 0;
  for (const auto& [track, n] : tail) {
    if (n < 4) continue;
    std::set<int64_t> in;
    for (const Note& x : cont.notes)
      if (x.track == track && x.t >= first && x.t < first + bars * L) in.insert((x.t - first) / L);
    total += bars;
    played += int64_t(in.size());
  }
  return {total, played};
}

// The baseline that loops the prompt's last whole bar over the span of the true continuation.
std::vector<Note> loop_last_bar(const Notes& prompt, int64_t until) {
  const int64_t L = prompt.bar, a = prompt.anchor, t_end = prompt.end_time;
  const int64_t cur = t_end >= a ? a + ((t_end - a) / L) * L : t_end;   // start of the bar holding the prompt's end
  std::vector<Note> pattern, out;
  for (const Note& n : prompt.notes)
    if (n.t >= cur - L && n.t < cur) pattern.push_back(n);
  for (int64_t k = 1; !pattern.empty(); ++k) {
    bool more = false;
    for (Note n : pattern) {
      n.t += k * L;
      if (n.t > until) continue;
      more = true;
      if (n.t > t_end) out.push_back(n);
    }
    if (!more) break;
  }
  std::sort(out.begin(), out.end(), [](const Note& x, const Note& y) { return std::tie(x.t, x.track, x.pitch) < std::tie(y.t, y.track, y.pitch); });
  return out;
}

double quantile(const std::vector<int>& v, double q) {
  if (v.empty()) return 0;
  return v[std::min(v.size() - 1, size_t(q * (v.size() - 1) + 0.5))];
}

// Adds one piece to `s`; returns the piece's pitch-class distance.
double accumulate(ContinuationStats& s, const Profile& a, const Profile& b) {
  double l1 = 0;
  for (int i = 0; i < 12; ++i) l1 += std::abs(a.pc[i] - b.pc[i]);
  s.pitch_class_l1 += l1;
  // off key: the continuation's share of pitched notes outside the prompt's 7 most used classes
  const std::array<bool, 12> key = main_pitch_classes(a.pc);
  for (int i = 0; i < 12; ++i)
    if (!key[size_t(i)]) s.off_key += b.pc[size_t(i)];
  double da = std::max(a.notes, 1) / a.beats, db = std::max(b.notes, 1) / b.beats;
  s.density_ratio += std::abs(std::log(db / da));
  auto mean = [](const std::vector<int>& v) {
    double t = 0;
    for (int x : v) t += x;
    return v.empty() ? 0.0 : t / v.size();
  };
  s.velocity_mean_diff += std::abs(mean(a.velocities) - mean(b.velocities));
  double a0 = quantile(a.velocities, 0.1), a1 = quantile(a.velocities, 0.9) + 1;
  double b0 = quantile(b.velocities, 0.1), b1 = quantile(b.velocities, 0.9) + 1;
  double inter = std::max(0.0, std::min(a1, b1) - std::max(a0, b0)), uni = std::max(a1, b1) - std::min(a0, b0);
  s.velocity_range_iou += uni > 0 ? inter / uni : 1;
  std::set<int> u = a.instruments, in;
  u.insert(b.instruments.begin(), b.instruments.end());
  for (int x : a.instruments)
    if (b.instruments.count(x)) in.insert(x);
  s.instrument_jaccard += u.empty() ? 1 : double(in.size()) / u.size();
  double overlap = 0;
  for (auto& [k, v] : a.ioi)
    if (auto it = b.ioi.find(k); it != b.ioi.end()) overlap += std::min(v, it->second);
  s.ioi_overlap += overlap;
  ++s.pieces;
  return l1;
}

void finish(ContinuationStats& s) {
  if (s.pieces == 0) return;
  s.pitch_class_l1 /= s.pieces;
  s.off_key /= s.pieces;
  s.density_ratio /= s.pieces;
  s.velocity_mean_diff /= s.pieces;
  s.velocity_range_iou /= s.pieces;
  s.instrument_jaccard /= s.pieces;
  s.ioi_overlap /= s.pieces;
  s.repeated_bars = s.bars ? double(s.repeated) / s.bars : 0;
  if (s.groove_pieces > 0) s.groove_overlap /= s.groove_pieces;
  s.part_presence = s.part_bars ? double(s.part_bars_played) / double(s.part_bars) : 0;
}

}  // namespace

std::vector<ContinuationRow> continuations(const engine::Model& m, const train::Split& split,
                                           const ContinuationOptions& opt,
                                           const std::function<void(const std::string&)>& log) {
  // eligible pieces: long enough for prompt + continuation; spread evenly over the split
  std::vector<size_t> eligible;
  for (size_t d = 0; d < split.size(); ++d)
    if (split.docs[d + 1] - split.docs[d] > opt.prompt_events + opt.events + 32) {
      if (opt.with_drums) {
        const auto ev = split.events(d);
        const size_t h = tokenizer::Tokenizer::header_length(ev);
        const Notes pn = notes_of(ev, h, h + opt.prompt_events);
        const auto drums = std::count_if(pn.notes.begin(), pn.notes.end(), [](const Note& n) { return n.instrument >= tokenizer::kDrumKitBase; });
        if (drums < 16) continue;
      }
      eligible.push_back(d);
    }
  std::vector<size_t> docs;
  for (int i = 0; i < opt.pieces && !eligible.empty(); ++i) {
    size_t d = eligible[size_t(i) * eligible.size() / size_t(opt.pieces)];
    if (docs.empty() || docs.back() != d) docs.push_back(d);
  }
  std::vector<ContinuationRow> rows(2 + opt.temperatures.size());
  rows[0].label = "true continuation";
  rows[1].label = "loop last bar";
  for (size_t t = 0; t < opt.temperatures.size(); ++t) {
    char buf[64];
    const double anchor = opt.key_anchor < 0 ? m.config().key_anchor : opt.key_anchor;
    const double groove = opt.copy_anchor < 0 ? m.config().copy_anchor : opt.copy_anchor;
    if (opt.key_strength > 0 || anchor > 0 || groove > 0)
      std::snprintf(buf, sizeof buf, "T=%.2f key %.1f/%.1f groove %.2f", opt.temperatures[t], opt.key_strength, anchor, groove);
    else std::snprintf(buf, sizeof buf, "model T=%.2f", opt.temperatures[t]);
    rows[t + 2].label = buf;
  }
  for (size_t i = 0; i < docs.size(); ++i) {
    auto ev = split.events(docs[i]);
    const size_t h = tokenizer::Tokenizer::header_length(ev);
    const size_t p_end = h + opt.prompt_events;
    std::vector<Event> prompt(ev.begin(), ev.begin() + p_end);
    const Notes pn = notes_of(ev, h, p_end);
    const Profile p = profile(pn.notes);
    std::string detail;   // per piece: pitch-class distance and pitched notes of each row
    auto add = [&](ContinuationStats& st, const Notes& cont) {
      const Profile c = profile(cont.notes);
      int pitched = 0;
      for (const Note& n : cont.notes) pitched += n.instrument < tokenizer::kDrumKitBase;
      const double l1 = accumulate(st, p, c);
      auto [rep, bars] = repeated_bars(pn, cont);
      char buf[96];
      std::snprintf(buf, sizeof buf, " %.2f/%d/%dof%d", l1, pitched, rep, bars);
      detail += buf;
      st.repeated += rep;
      st.bars += bars;
      const auto [pb, pp] = part_presence(pn, cont);
      st.part_bars += pb;
      st.part_bars_played += pp;
      if (auto g = groove_overlap(pn, cont)) {
        st.groove_overlap += *g;
        ++st.groove_pieces;
        std::snprintf(buf, sizeof buf, "/groove %.2f", *g);
        detail += buf;
      }
    };
    const Notes truth = notes_of(ev, p_end, p_end + opt.events);
    add(rows[0].stats, truth);
    const tokenizer::Tokenizer tok;
    auto save = [&](const std::vector<Event>& seq, const std::string& tag) {
      if (opt.save_dir.empty()) return;
      char name[64];
      std::snprintf(name, sizeof name, "/piece%03zu-%s.mid", i + 1, tag.c_str());
      score::save(tok.decode(seq), opt.save_dir + name);
    };
    save(std::vector<Event>(ev.begin(), ev.begin() + std::min(ev.size(), p_end + opt.events)), "truth");
    Notes looped = truth;
    looped.notes = loop_last_bar(pn, truth.end_time);
    add(rows[1].stats, looped);
    for (size_t t = 0; t < opt.temperatures.size(); ++t) {
      engine::SampleOptions so;
      so.events = opt.events;
      so.temperature = opt.temperatures[t];
      so.top_p = opt.top_p;
      so.key_strength = opt.key_strength;
      so.loop_guard = opt.loop_guard;
      so.part_balance = opt.part_balance;
      so.pitched_anchor = opt.pitched_anchor;
      so.key_anchor = opt.key_anchor;
      so.copy_anchor = opt.copy_anchor;
      so.seed = opt.seed + i;
      auto gen = engine::generate(m, prompt, so);
      std::vector<Event> all = prompt;
      all.insert(all.end(), gen[0].begin(), gen[0].end());
      add(rows[t + 2].stats, notes_of(all, p_end, all.size()));
      char tag[32];
      std::snprintf(tag, sizeof tag, "T%.2f", opt.temperatures[t]);
      save(all, tag);
    }
    if (log)
      log("piece " + std::to_string(i + 1) + "/" + std::to_string(docs.size()) + ": " + split.files[docs[i]] +
          "  pc L1/pitched notes (truth, loop, samples):" + detail);
  }
  for (auto& r : rows) finish(r.stats);
  return rows;
}

}  // namespace continuo::eval
