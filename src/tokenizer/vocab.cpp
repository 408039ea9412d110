// Value bins of the tokenizer: tempo, time signature and key classes.
#include <algorithm>
#include <cmath>

#include "continuo/tokenizer.hpp"

namespace continuo::tokenizer {
namespace {
constexpr double kTempoMin = 24.0, kTempoMax = 320.0;
constexpr int kDenominators[6] = {1, 2, 4, 8, 16, 32};
}  // namespace

int tempo_to_bin(double bpm) {
  if (!(bpm > 0)) bpm = 120;
  double x = std::log(bpm / kTempoMin) / std::log(kTempoMax / kTempoMin) * (kTempoBins - 1);
  long b = std::lround(x);
  return static_cast<int>(std::clamp(b, 0L, long(kTempoBins - 1)));
}

double tempo_from_bin(int bin) {
  double x = double(std::clamp(bin, 0, kTempoBins - 1)) / (kTempoBins - 1);
  return kTempoMin * std::pow(kTempoMax / kTempoMin, x);
}

int timesig_to_class(int numerator, int denominator) {
  if (numerator < 1 || numerator > 16) return -1;
  for (int d = 0; d < 6; ++d)
    if (kDenominators[d] == denominator) return d * 16 + (numerator - 1);
  return -1;
}

std::pair<int, int> timesig_from_class(int cls) {
  cls = std::clamp(cls, 0, kTimeSigCount - 1);
  return {cls % 16 + 1, kDenominators[cls / 16]};
}

int key_to_class(int sharps, bool minor) {
  return (std::clamp(sharps, -7, 7) + 7) * 2 + (minor ? 1 : 0);
}

}  // namespace continuo::tokenizer
