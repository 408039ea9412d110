// tokenizer/copy.cpp: in-context copy proposals (tokenizer::CopyTracker), shared by training,
// scoring and generation so that all three see the same proposals for the same events.
#include <algorithm>
#include <cstdint>
#include <iterator>
#include <ranges>

#include "continuo/tokenizer.hpp"

namespace continuo::tokenizer {
namespace {

constexpr int kGramLengths[] = {256, 128, 64, 32, 16, 8, 4, 2, 1};
constexpr uint64_t kBase = 0x100000001b3ULL;

uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ULL;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
  return x ^ (x >> 31);
}

uint64_t event_hash(const Event& e) {
  uint64_t packed = 0;
  for (int f : {0, 1, 2, 3, 5}) packed = (packed << 12) ^ e.f[size_t(f)];
  if (e.kind() == Kind::kControl) packed = (packed << 8) ^ e[Field::kValue2];
  return mix64(packed);
}

// Place of an event inside its time step, in the tokenizer's order: WAIT (which moves time),
// then time signature, key, tempo, controls, notes by (track, pitch).
uint32_t order_key(const Event& e) {
  uint32_t rank = 6;
  switch (e.kind()) {
    case Kind::kWait: rank = 0; break;
    case Kind::kTimeSig: rank = 1; break;
    case Kind::kKeySig: rank = 2; break;
    case Kind::kTempo: rank = 3; break;
    case Kind::kControl: rank = 4; break;
    case Kind::kNote: rank = 5; break;
    default: break;
  }
  return (rank << 24) | (uint32_t(e[Field::kTrack]) << 16) | uint32_t(e[Field::kValue]);
}

// Of the events `idx` (event indices, ascending onsets), the one that comes next after the place
// (then, last_order): the earliest in the step's order that is later in step `then`, else the
// earliest of the next step; at most 64 events of a step are looked at. -1 if none.
template <class Indices>
int next_after(const Indices& idx, const std::vector<int64_t>& time, const std::vector<uint32_t>& order, int64_t then,
               uint32_t last_order) {
  auto it = std::ranges::lower_bound(idx, then, {}, [&](auto i) { return time[size_t(i)]; });
  const auto end = std::ranges::end(idx);
  int pick = -1;
  for (int c = 0; it != end && time[size_t(*it)] == then; ++it, ++c)
    if (c < 64 && order[size_t(*it)] > last_order && (pick < 0 || order[size_t(*it)] < order[size_t(pick)])) pick = int(*it);
  if (pick < 0 && it != end) {
    const int64_t at = time[size_t(*it)];
    for (int c = 0; it != end && time[size_t(*it)] == at && c < 64; ++it, ++c)
      if (pick < 0 || order[size_t(*it)] < order[size_t(pick)]) pick = int(*it);
  }
  return pick;
}

// The run and the last kCopyHitWindow outcomes of a source's proposals, after one more outcome.
void record_outcome(int& streak, uint32_t& bits, bool hit) {
  streak = hit ? streak + 1 : 0;
  bits = ((bits << 1) | (hit ? 1u : 0u)) & ((1u << kCopyHitWindow) - 1);
}

int part_of(const Event& e) {
  switch (e.kind()) {
    case Kind::kNote:
    case Kind::kControl: return e[Field::kTrack] % kMaxTracks;
    case Kind::kTempo:
    case Kind::kTimeSig:
    case Kind::kKeySig: return kMaxTracks;
    default: return -1;
  }
}

uint64_t onset_key(const Event& e, int64_t time) {
  Event c = e;
  c[Field::kDt] = 0;
  return mix64(event_hash(c) ^ mix64(uint64_t(time)));
}

}  // namespace

int copy_length_bucket(int n) {
  if (n <= 4) return std::max(0, n);
  if (n <= 6) return 5;
  if (n <= 8) return 6;
  if (n <= 12) return 7;
  if (n <= 16) return 8;
  if (n <= 24) return 9;
  if (n <= 32) return 10;
  if (n <= 48) return 11;
  if (n <= 64) return 12;
  if (n <= 96) return 13;
  if (n <= 128) return 14;
  if (n <= 192) return 15;
  return 16;
}

int copy_log_bucket(int64_t n) {
  int b = 0;
  for (int64_t lim = 1; n > lim && b < kCopyLogBuckets - 1; lim *= 2) ++b;
  return b;
}

bool same_but_velocity(const Event& a, const Event& b) {
  for (int f = 0; f < kNumFields; ++f)
    if (a.f[size_t(f)] != b.f[size_t(f)] && !(f == int(Field::kValue2) && a.kind() == Kind::kNote)) return false;
  return true;
}

const CopyProposals& CopyTracker::next(const Event& e) {
  if (e.kind() == Kind::kBos) {
    *this = CopyTracker();
    return prop_;
  }
  now_ += e[Field::kDt];
  if (e.kind() == Kind::kTrack) drum_[size_t(e[Field::kTrack] % kMaxTracks)] = e[Field::kValue] >= kDrumKitBase;
  if (e.kind() == Kind::kTimeSig) {
    auto [num, den] = timesig_from_class(e[Field::kValue] - kTimeSigBase);
    bar_len_ = std::max<int64_t>(1, int64_t(num) * 4 * kStepsPerBeat / std::max(1, den));
  }
  if (in_header_) {
    const Kind k = e.kind();
    const bool header = k == Kind::kTrack ||
                        ((k == Kind::kTimeSig || k == Kind::kKeySig || k == Kind::kTempo) && e[Field::kDt] == 0);
    if (header) return prop_;   // nothing to copy yet
    in_header_ = false;
  }
  // how the previous proposals of sources 0-3 fared (the part sources count per part: note_part)
  for (int k = 0; k < kCopyFirstSources; ++k)
    record_outcome(streak_[size_t(k)], hit_bits_[size_t(k)], prop_[size_t(k)].valid && same_but_velocity(prop_[size_t(k)].event, e));
  ev_.push_back(e);
  time_.push_back(now_);
  order_.push_back(order_key(e));
  hash_.push_back(event_hash(e));
  if (prefix_.empty()) {
    prefix_.push_back(0);
    for (int gi = 0; gi < int(std::size(kGramLengths)); ++gi) {
      uint64_t p = 1;
      for (int i = 0; i < kGramLengths[gi]; ++i) p *= kBase;
      pow_[size_t(gi)] = p;
    }
  }
  prefix_.push_back(prefix_.back() * kBase + hash_.back());
  note_part(int(ev_.size()) - 1);
  propose();
  return prop_;
}

void CopyTracker::propose() {
  prop_ = {};
  const int t = int(ev_.size()) - 1;
  if (t < 0 || ev_.back().kind() == Kind::kEos) return;
  auto hits = [&](int k) { return uint8_t(__builtin_popcount(hit_bits_[size_t(k)])); };

  // source 0: the longest recent run that occurred before (most recent occurrence)
  int match_end = -1;
  for (int gi = 0; gi < int(std::size(kGramLengths)); ++gi) {
    const int k = kGramLengths[gi];
    if (t + 1 < k) continue;
    // hash of events t-k+1..t from the prefix hashes: P[t+1] - P[t+1-k] * base^k
    const uint64_t h = mix64(prefix_[size_t(t + 1)] - prefix_[size_t(t + 1 - k)] * pow_[size_t(gi)] + uint64_t(k));
    auto& table = last_end_[size_t(gi)];
    auto it = table.find(h);
    if (match_end < 0 && it != table.end()) {
      const int j = it->second;
      bool same = true;
      for (int i = 0; i < k && same; ++i) same = same_but_velocity(ev_[size_t(j - i)], ev_[size_t(t - i)]);
      if (same) match_end = j;
    }
    table[h] = t;
  }
  if (match_end >= 0 && ev_[size_t(match_end + 1)].kind() != Kind::kEos) {
    int len = 0;
    while (len < kCopyMaxMatch && match_end - len >= 0 && same_but_velocity(ev_[size_t(match_end - len)], ev_[size_t(t - len)]))
      ++len;
    CopyProposal& p = prop_[0];
    p.valid = true;
    p.event = ev_[size_t(match_end + 1)];
    p.length = uint8_t(copy_length_bucket(len));
    p.hits = hits(0);
    p.distance = uint8_t(copy_log_bucket(t - match_end));
    p.history = uint8_t(copy_log_bucket(t + 1));
  }

  // sources 1..3: the same place one, two, four bars ago
  const int64_t now = time_.back();
  const uint32_t last_order = order_.back();
  for (int s = 1; s < 4; ++s) {
    const int64_t span = int64_t(kCopyBarPeriods[s - 1]) * bar_len_;
    const int64_t then = now - span;
    if (then < time_.front()) continue;
    const int best = next_after(std::views::iota(0, int(ev_.size())), time_, order_, then, last_order);
    if (best < 0 || best >= t) continue;
    const Event& src = ev_[size_t(best)];
    const int64_t dt = time_[size_t(best)] - then;
    if (src.kind() == Kind::kEos || dt >= span || dt >= kMaxDt || (src.kind() == Kind::kWait && dt < 1)) continue;
    CopyProposal& p = prop_[size_t(s)];
    p.valid = true;
    p.event = src;
    p.event[Field::kDt] = uint16_t(dt);
    p.length = uint8_t(copy_length_bucket(streak_[size_t(s)]));
    p.hits = hits(s);
    p.distance = uint8_t(copy_log_bucket(t + 1 - best));
    p.history = uint8_t(copy_log_bucket(t + 1));
  }
  propose_parts(t);
  set_agree();
}

void CopyTracker::set_agree() {
  for (int k = 0; k < kCopySources; ++k) {
    CopyProposal& p = prop_[size_t(k)];
    if (!p.valid) continue;
    int same = 0;
    for (int j = 0; j < kCopyFirstSources; ++j)
      same += j != k && prop_[size_t(j)].valid && same_but_velocity(prop_[size_t(j)].event, p.event);
    same = std::min(same, 3);
    const bool against = k != 0 && prop_[0].valid && !same_but_velocity(prop_[0].event, p.event);
    p.agree = uint8_t(same + (against ? 4 : 0));
  }
}

void CopyTracker::note_part(int t) {
  const Event& e = ev_[size_t(t)];
  const int part = part_of(e);
  if (part < 0) return;
  const auto P = size_t(part);
  const int64_t time = time_[size_t(t)];
  // how this part's own proposal fared
  Event content = e;
  content[Field::kDt] = 0;
  record_outcome(part_streak_[P], part_hits_[P], part_pending_time_[P] == time && same_but_velocity(part_pending_[P], content));
  // its periods
  auto& seen = part_seen_[P];
  for (int i = 0; i < 4; ++i) {
    const int64_t then = time - int64_t(kCopyPartPeriods[i]) * bar_len_;
    const bool rep = then >= time_.front() && seen.count(onset_key(e, then)) > 0;
    if (then >= time_.front()) {
      ++part_compared_[P][size_t(i)];
      part_repeated_[P][size_t(i)] += rep;
    }
    double& sc = part_score_[P][size_t(i)];
    sc = sc * kCopyPartDecay + (rep ? 1.0 : 0.0);
  }
  double& n = part_weight_[P];
  n = n * kCopyPartDecay + 1.0;
  seen.insert(onset_key(e, time));
  part_ev_[P].push_back(int32_t(t));
}

void CopyTracker::propose_parts(int t) {
  constexpr double kMinShare = 0.5;   // of the part's recent events (decayed) that repeated at the period
  const int64_t now = time_.back();
  const uint32_t last_order = order_.back();
  struct Cand { int64_t at; uint32_t order; int pick; int part; };
  std::array<Cand, kCopyParts> cands;
  int nc = 0;
  for (int part = 0; part < kCopyParts; ++part) {
    const auto P = size_t(part);
    part_pending_time_[P] = -1;
    const auto& idx = part_ev_[P];
    if (idx.empty()) continue;
    const auto& sc = part_score_[P];
    if (anchored_ && anchor_period_[P] >= 0) {   // the groove anchor: from the prompt's pattern
      const int64_t lo = anchor_lo_[P], span = anchor_span_[P], hi = lo + span;
      const int64_t at = lo + ((now - lo) % span + span) % span;   // the same place in the pattern
      int pick = next_after(idx, time_, order_, at, last_order);
      int64_t dt = pick >= 0 ? time_[size_t(pick)] - at : -1;
      if (pick < 0 || time_[size_t(pick)] >= hi) {   // the pattern again from its start
        pick = next_after(idx, time_, order_, lo - 1, UINT32_MAX);
        if (pick < 0 || time_[size_t(pick)] >= hi) continue;
        dt = time_[size_t(pick)] + span - at;
      }
      if (dt >= kMaxDt) continue;
      part_pending_[P] = ev_[size_t(pick)];
      part_pending_[P][Field::kDt] = 0;
      part_pending_time_[P] = now + dt;
      cands[size_t(nc++)] = {now + dt, order_[size_t(pick)], pick, part};
      continue;
    }
    int period = -1;
    for (int i = 0; i < 4; ++i)
      if (sc[size_t(i)] >= kMinShare * part_weight_[P] && (period < 0 || sc[size_t(i)] > sc[size_t(period)])) period = i;
    if (period < 0) continue;
    const int64_t span = int64_t(kCopyPartPeriods[period]) * bar_len_;
    const int64_t then = now - span;
    if (then < time_.front()) continue;
    const int pick = next_after(idx, time_, order_, then, last_order);
    if (pick < 0) continue;
    const int64_t dt = time_[size_t(pick)] - then;
    if (dt >= kMaxDt) continue;
    part_pending_[P] = ev_[size_t(pick)];
    part_pending_[P][Field::kDt] = 0;
    part_pending_time_[P] = now + dt;
    cands[size_t(nc++)] = {now + dt, order_[size_t(pick)], pick, part};
  }
  // the earliest parts' next events, in the order they would come
  std::sort(cands.begin(), cands.begin() + nc, [](const Cand& a, const Cand& b) {
    return a.at != b.at ? a.at < b.at : a.order < b.order;
  });
  anchor_prop_ = {};
  for (int s = 0; s < nc && kCopyFirstSources + s < kCopySources; ++s) {
    const Cand& c = cands[size_t(s)];
    const auto P = size_t(c.part);
    if (anchored_ && anchor_period_[P] >= 0) anchor_prop_[size_t(kCopyFirstSources + s)] = anchor_share_[P];
    CopyProposal& p = prop_[size_t(kCopyFirstSources + s)];
    p.valid = true;
    p.event = ev_[size_t(c.pick)];
    p.event[Field::kDt] = uint16_t(c.at - now);
    p.length = uint8_t(copy_length_bucket(part_streak_[P]));
    p.hits = uint8_t(__builtin_popcount(part_hits_[P]));
    p.distance = uint8_t(copy_log_bucket(t + 1 - c.pick));
    p.history = uint8_t(copy_log_bucket(t + 1));
  }
}

void CopyTracker::anchor_to(int64_t lo, int64_t span) {
  anchored_ = true;
  for (int part = 0; part < kCopyParts; ++part) {
    const auto P = size_t(part);
    anchor_period_[P] = -1;
    anchor_share_[P] = 0;
    if (part >= kMaxTracks || span <= 0) continue;
    const auto& idx = part_ev_[P];
    const auto first = std::ranges::lower_bound(idx, lo, {}, [&](int32_t i) { return time_[size_t(i)]; });
    if (first == idx.end() || time_[size_t(*first)] >= lo + span) continue;
    anchor_period_[P] = 0;   // any period index: the pattern is [lo, lo + span)
    anchor_share_[P] = 1;
    anchor_lo_[P] = lo;
    anchor_span_[P] = span;
  }
  propose_anchored();
}

void CopyTracker::propose_anchored() {
  // the part proposals after the prompt's last event, with the anchors (the match tables of
  // source 0 must not see that event twice: propose() is not run again)
  if (!ev_.empty() && ev_.back().kind() != Kind::kEos) {
    for (int k = kCopyFirstSources; k < kCopySources; ++k) prop_[size_t(k)] = {};
    propose_parts(int(ev_.size()) - 1);
    set_agree();
  }
}

void CopyTracker::anchor(double other_min_share) {
  anchored_ = true;
  for (int part = 0; part < kCopyParts; ++part) {
    const auto P = size_t(part);
    anchor_period_[P] = -1;
    anchor_share_[P] = 0;
    const bool drums = part < kMaxTracks && drum_[P];
    const double min_share = drums ? kCopyAnchorMinShare : other_min_share;
    for (int i = 0; i < 4; ++i) {
      const int32_t n = part_compared_[P][size_t(i)];
      if (n < kCopyAnchorMinEvents) continue;
      const double share = double(part_repeated_[P][size_t(i)]) / n;
      // a longer period must be clearly better: a part that repeats every bar also repeats
      // every 2 and 4 bars, at about the same share
      if (share >= min_share && share > anchor_share_[P] + (anchor_period_[P] < 0 ? 0.0 : 0.05)) {
        anchor_period_[P] = int8_t(i);
        anchor_share_[P] = float(share);
      }
    }
    if (anchor_period_[P] < 0) continue;
    // the pattern: going back from the prompt's end one period at a time, the first stretch
    // whose events all repeat, onset and all, the stretch before it (as many, each found a
    // period earlier); else the one with the highest share of such events
    const auto& idx = part_ev_[P];
    const int64_t span = int64_t(kCopyPartPeriods[anchor_period_[P]]) * bar_len_, end = time_.back() + 1;
    auto count_in = [&](int64_t lo, int64_t hi) {
      auto at = [&](int64_t t) {
        return std::ranges::lower_bound(idx, t, {}, [&](int32_t i) { return time_[size_t(i)]; }) - idx.begin();
      };
      return std::pair{at(lo), at(hi)};
    };
    double best = -1;
    for (int j = 0; j < 16 && end - (j + 1) * span >= time_.front(); ++j) {
      const int64_t lo = end - (j + 1) * span, hi = lo + span;
      const auto [a, b] = count_in(lo, hi);
      const auto [pa, pb] = count_in(lo - span, lo);
      const int64_t n = b - a, prev = pb - pa;
      if (n == 0) continue;
      int64_t rep = 0;
      for (auto k = a; k < b; ++k) {
        const int32_t i = idx[size_t(k)];
        rep += part_seen_[P].count(onset_key(ev_[size_t(i)], time_[size_t(i)] - span)) > 0;
      }
      const double share = double(rep) / double(std::max(n, prev));
      if (share > best) {
        best = share;
        anchor_lo_[P] = lo;
        anchor_span_[P] = span;
      }
      if (rep == n && prev == n) break;   // an exact repeat: the latest one is the pattern
    }
    if (best <= 0) anchor_period_[P] = -1, anchor_share_[P] = 0;
  }
  propose_anchored();
}

}  // namespace continuo::tokenizer
