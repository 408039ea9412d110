// The token grammar: which kinds and values may follow what has been generated so far.
#include "continuo/tokenizer.hpp"

namespace continuo::tokenizer {

Grammar::Grammar(Options options) : options_(options) {}

bool Grammar::fields_used(Kind kind, Field field) const {
  switch (field) {
    case Field::kKind: return true;
    case Field::kDt: return kind != Kind::kBos && kind != Kind::kPad;
    case Field::kTrack: return kind == Kind::kNote || kind == Kind::kTrack || kind == Kind::kControl;
    case Field::kValue:
      return kind == Kind::kNote || kind == Kind::kTrack || kind == Kind::kTempo ||
             kind == Kind::kTimeSig || kind == Kind::kKeySig || kind == Kind::kControl;
    case Field::kValue2: return kind == Kind::kNote || kind == Kind::kControl;
    case Field::kDuration: return kind == Kind::kNote;
    default: return false;
  }
}

void Grammar::feed(const Event& e) {
  Kind k = e.kind();
  if (k == Kind::kBos) {
    started_ = true;
    return;
  }
  if (k == Kind::kEos) {
    ended_ = true;
    return;
  }
  if (k == Kind::kTrack) {
    if (n_tracks_ < kMaxTracks) {
      drum_[n_tracks_] = e[Field::kValue] >= kDrumKitBase;
      ++n_tracks_;
    }
    return;
  }
  bool header_kind = k == Kind::kTimeSig || k == Kind::kKeySig || k == Kind::kTempo;
  if (!header_kind || e[Field::kDt] != 0) in_header_ = false;
  if (in_header_) {
    header_tempo_ |= k == Kind::kTempo;
    header_timesig_ |= k == Kind::kTimeSig;
    header_key_ |= k == Kind::kKeySig;
  }
}

bool Grammar::header_has(Kind kind) const {
  switch (kind) {
    case Kind::kTempo: return header_tempo_;
    case Kind::kTimeSig: return header_timesig_;
    case Kind::kKeySig: return header_key_;
    default: return false;
  }
}

std::vector<uint8_t> Grammar::allowed(Field field, const Event& partial) const {
  const int n = kFieldSizes[static_cast<int>(field)];
  std::vector<uint8_t> m(n, 0);
  auto allow = [&](int lo, int hi) {  // [lo, hi)
    for (int i = std::max(lo, 0); i < std::min(hi, n); ++i) m[i] = 1;
  };
  const Kind kind = partial.kind();
  if (field == Field::kKind) {
    auto on = [&](Kind k) { m[static_cast<int>(k)] = 1; };
    if (!started_) { on(Kind::kBos); return m; }
    if (ended_) { on(Kind::kEos); return m; }
    on(Kind::kWait);
    on(Kind::kTempo);
    on(Kind::kTimeSig);
    on(Kind::kKeySig);
    on(Kind::kEos);
    if (in_header_ && n_tracks_ < kMaxTracks) on(Kind::kTrack);
    if (n_tracks_ > 0) {
      on(Kind::kNote);
      if (options_.controls) on(Kind::kControl);
    }
    return m;
  }
  if (!fields_used(kind, field)) {
    m[0] = 1;
    return m;
  }
  switch (field) {
    case Field::kDt:
      if (kind == Kind::kTrack || kind == Kind::kEos) allow(0, 1);
      else if (kind == Kind::kWait || (in_header_ && header_has(kind))) allow(1, kMaxDt);
      else allow(0, kMaxDt);
      break;
    case Field::kTrack:
      if (kind == Kind::kTrack) allow(n_tracks_, n_tracks_ + 1);
      else allow(0, n_tracks_);
      break;
    case Field::kValue:
      switch (kind) {
        case Kind::kNote: allow(kPitchBase, kPitchBase + 128); break;
        case Kind::kTrack: allow(kProgramBase, kDrumKitBase + 128); break;
        case Kind::kTempo: allow(kTempoBase, kTempoBase + kTempoBins); break;
        case Kind::kTimeSig: allow(kTimeSigBase, kTimeSigBase + kTimeSigCount); break;
        case Kind::kKeySig: allow(kKeyBase, kKeyBase + kKeyCount); break;
        case Kind::kControl: allow(kControlBase, kValueEnd); break;
        default: allow(0, 1);
      }
      break;
    case Field::kValue2:
      if (kind == Kind::kNote) allow(1, 128);
      else allow(0, 128);
      break;
    case Field::kDuration: allow(0, kMaxDuration); break;
    default: allow(0, 1);
  }
  return m;
}

}  // namespace continuo::tokenizer
