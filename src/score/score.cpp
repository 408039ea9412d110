// score/score.cpp: Score equality and normalization.
#include <algorithm>

#include "continuo/score.hpp"
#include "score/internal.hpp"

namespace continuo::score {

bool Score::operator==(const Score& o) const {
  return ticks_per_beat == o.ticks_per_beat && tracks == o.tracks && tempos == o.tempos &&
         time_signatures == o.time_signatures && key_signatures == o.key_signatures &&
         global_texts == o.global_texts && global_sysex == o.global_sysex &&
         smpte_offset == o.smpte_offset;
}

void normalize(Score& s) {
  for (Track& t : s.tracks) {
    std::erase_if(t.notes, [](const Note& n) { return n.pitch > 127; });
    for (Note& n : t.notes) {
      if (n.duration.count() < 0) n.duration = Ticks{0};
      n.velocity = std::clamp<uint8_t>(n.velocity, 1, 127);
    }
    detail::sort_notes(t.notes);
    t.notes.erase(std::unique(t.notes.begin(), t.notes.end()), t.notes.end());
    detail::sort_by_time_unique(t.controls);
    detail::sort_by_time_unique(t.bends);
    detail::sort_by_time_unique(t.texts);
    detail::sort_by_time_unique(t.sysex);
  }
  detail::sort_by_time_last_wins(s.tempos);
  detail::sort_by_time_last_wins(s.time_signatures);
  detail::sort_by_time_last_wins(s.key_signatures);
  detail::sort_by_time_unique(s.global_texts);
  detail::sort_by_time_unique(s.global_sysex);
}

}  // namespace continuo::score
