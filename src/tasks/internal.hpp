// tasks/internal.hpp: grid steps <-> a file's ticks, shared by continuation.cpp and infill.cpp.
#pragma once

#include <cstdint>

#include "continuo/tokenizer.hpp"

namespace continuo::tasks::detail {

inline int64_t step_to_tick(int64_t step, int tpb) {
  return (step * tpb + tokenizer::kStepsPerBeat / 2) / tokenizer::kStepsPerBeat;
}

// the tokenizer's rounding of a time onto the grid
inline int64_t tick_to_step(int64_t tick, int tpb) { return (tick * tokenizer::kStepsPerBeat + tpb / 2) / tpb; }

}  // namespace continuo::tasks::detail
