// score/builder.cpp: the less hot parts of ScoreBuilder (see builder.hpp): controls, programs,
// metas, sysex, and the end of a track (closing notes, splitting by channel, sorting).
//
// Rules (see convert.cpp for the whole picture): one Score track per channel of a MIDI track that
// has a note or a program change, in channel order; CC0/CC32 before the first program change
// make the bank and are not kept as controls; later program changes and bank selects are dropped;
// the first track-name meta names every Score track of its MIDI track; the other texts and the
// sysex go to the first of them, or to the global lists when the MIDI track made none.
#include "score/builder.hpp"

#include <algorithm>
#include <cstdlib>
#include <new>

#include "score/internal.hpp"

namespace continuo::score::detail {
namespace {

constexpr uint8_t kCcBankMsb = 0;
constexpr uint8_t kCcBankLsb = 32;

bool is_text_meta(uint8_t type) { return type >= 0x01 && type <= 0x0F; }

}  // namespace

ScoreBuilder::ScoreBuilder(bool smpte) : smpte_(smpte) {
  std::memset(head_, 0xFF, sizeof head_);
  std::memset(tail_, 0xFF, sizeof tail_);
}

ScoreBuilder::~ScoreBuilder() {
  std::free(buf_);
  std::free(tag_);
}

void ScoreBuilder::begin_track(size_t max_notes) {
  if (capacity_ < max_notes) {
    std::free(buf_);
    std::free(tag_);
    buf_ = nullptr;
    tag_ = nullptr;
    capacity_ = 0;
    buf_ = static_cast<Note*>(std::malloc(max_notes * sizeof(Note)));
    tag_ = static_cast<uint8_t*>(std::malloc(max_notes));
    if (!buf_ || !tag_) throw std::bad_alloc();
    capacity_ = max_notes;
  }
  n_ = 0;
}

void ScoreBuilder::control(int64_t tick, uint8_t ch, uint8_t controller, uint8_t value) {
  Channel& c = ch_[ch];
  touched_ |= 1u << ch;
  if (controller == kCcBankMsb || controller == kCcBankLsb) {
    if (!c.has_program) (controller == kCcBankMsb ? c.bank_msb : c.bank_lsb) = value;
    return;
  }
  c.controls.push_back(ControlChange{Ticks{tick}, controller, value});
}

void ScoreBuilder::program(uint8_t ch, uint8_t program) {
  Channel& c = ch_[ch];
  touched_ |= 1u << ch;
  if (c.has_program) return;
  c.has_program = true;
  c.program = program;
  c.bank = static_cast<uint16_t>(c.bank_msb * 128 + c.bank_lsb);
}

void ScoreBuilder::meta(int64_t tick, uint8_t type, std::span<const uint8_t> payload) {
  const Ticks t{tick};
  switch (type) {
    case uint8_t(midi::Meta::kTempo):
      if (payload.size() >= 3 && !smpte_) {
        const uint32_t us = uint32_t(payload[0]) << 16 | uint32_t(payload[1]) << 8 | payload[2];
        if (us > 0) tempos_.push_back(TempoChange{t, us});
      }
      return;
    case uint8_t(midi::Meta::kTimeSignature):
      if (payload.size() >= 2 && payload[0] > 0 && payload[1] <= 7)
        time_signatures_.push_back(TimeSignature{t, payload[0], uint8_t(1u << payload[1])});
      return;
    case uint8_t(midi::Meta::kKeySignature):
      if (payload.size() >= 2) {
        const int8_t sf = static_cast<int8_t>(payload[0]);
        if (sf >= -7 && sf <= 7 && payload[1] <= 1)
          key_signatures_.push_back(KeySignature{t, sf, payload[1] == 1});
      }
      return;
    case uint8_t(midi::Meta::kSmpteOffset):
      if (payload.size() >= 5 && !smpte_offset_)
        smpte_offset_ = SmpteOffset{payload[0], payload[1], payload[2], payload[3], payload[4]};
      return;
    default:
      if (is_text_meta(type)) {
        if (type == uint8_t(midi::Meta::kTrackName) && name_index_ < 0)
          name_index_ = static_cast<int>(texts_.size());
        texts_.push_back(
            TextEvent{t, type, std::string(reinterpret_cast<const char*>(payload.data()), payload.size())});
      }
      return;
  }
}

void ScoreBuilder::sysex(int64_t tick, uint8_t status, std::span<const uint8_t> payload) {
  SysEx x{Ticks{tick}, {}};
  x.bytes.reserve(payload.size() + 1);
  x.bytes.push_back(status);
  x.bytes.insert(x.bytes.end(), payload.begin(), payload.end());
  sysex_.push_back(std::move(x));
}

void ScoreBuilder::end_track(int64_t last_tick) {
  // Close what still sounds and clear the queues of the channels that had notes.
  uint32_t used = 0;
  for (int ch = 0; ch < 16; ++ch) {
    if (count_[ch] == 0) continue;
    used |= 1u << ch;
    for (int p = 0; p < 128; ++p) {
      int32_t i = head_[ch][p];
      while (i >= 0) {
        Note& n = buf_[i];
        const int64_t next = -n.duration.count() - 2;
        n.duration = Ticks{last_tick - n.start.count()};
        i = static_cast<int32_t>(next);
      }
      head_[ch][p] = -1;
      tail_[ch][p] = -1;
    }
  }

  const size_t first = tracks_.size();
  std::string name;
  for (uint32_t mask = used | touched_; mask != 0; mask &= mask - 1) {
    const int ch = __builtin_ctz(mask);
    Channel& c = ch_[ch];
    if (count_[ch] != 0 || c.has_program) {
      if (tracks_.size() == first && name_index_ >= 0) {
        name = std::move(texts_[size_t(name_index_)].text);
        texts_.erase(texts_.begin() + name_index_);
      }
      Track& t = tracks_.emplace_back();
      t.name = name;
      t.channel = static_cast<uint8_t>(ch);
      t.program = c.program;
      t.bank = c.bank;
      t.is_drum = (ch == 9);
      t.controls = std::move(c.controls);
      t.bends = std::move(c.bends);
    }
    c = Channel{};
  }
  touched_ = 0;

  // Split the notes by channel (in the order of their note-ons), then sort each track.
  if (used != 0) {
    std::vector<Note>* dst[16] = {};  // (taken after emplace_back is done moving the tracks)
    for (size_t i = first; i < tracks_.size(); ++i) dst[tracks_[i].channel] = &tracks_[i].notes;
    if ((used & (used - 1)) == 0) {  // one channel: a plain copy
      dst[__builtin_ctz(used)]->assign(buf_, buf_ + n_);
    } else {
      for (int ch = 0; ch < 16; ++ch)
        if (dst[ch]) dst[ch]->reserve(count_[ch]);
      for (uint32_t i = 0; i < n_; ++i) dst[tag_[i]]->push_back(buf_[i]);
    }
    for (size_t i = first; i < tracks_.size(); ++i) sort_notes(tracks_[i].notes);
  }
  std::fill(std::begin(count_), std::end(count_), 0u);
  n_ = 0;

  if (tracks_.size() > first) {
    tracks_[first].texts = std::move(texts_);
    tracks_[first].sysex = std::move(sysex_);
  } else {
    global_texts_.insert(global_texts_.end(), std::make_move_iterator(texts_.begin()),
                         std::make_move_iterator(texts_.end()));
    global_sysex_.insert(global_sysex_.end(), std::make_move_iterator(sysex_.begin()),
                         std::make_move_iterator(sysex_.end()));
  }
  texts_.clear();
  sysex_.clear();
  name_index_ = -1;
}

void ScoreBuilder::finish(Score& s) {
  s.tracks = std::move(tracks_);
  if (!smpte_) s.tempos = std::move(tempos_);
  s.time_signatures = std::move(time_signatures_);
  s.key_signatures = std::move(key_signatures_);
  s.global_texts = std::move(global_texts_);
  s.global_sysex = std::move(global_sysex_);
  s.smpte_offset = smpte_offset_;
  sort_by_time_last_wins(s.tempos);
  sort_by_time_last_wins(s.time_signatures);
  sort_by_time_last_wins(s.key_signatures);
  auto by_time = [](const auto& a, const auto& b) { return a.time < b.time; };
  std::stable_sort(s.global_texts.begin(), s.global_texts.end(), by_time);
  std::stable_sort(s.global_sysex.begin(), s.global_sysex.end(), by_time);
}

}  // namespace continuo::score::detail
