// train/main_pitch_classes.hpp: the key measure shared by `continuo eval` (model_nll) and
// `eval --continuations`: a piece's key, roughly, as its 7 most used pitch classes.
#pragma once

#include <algorithm>
#include <array>

namespace continuo::eval {

// The `n` most used pitch classes of a histogram (ties: the lower class first).
template <class T>
std::array<bool, 12> main_pitch_classes(const std::array<T, 12>& count, int n = 7) {
  std::array<int, 12> order{};
  for (int i = 0; i < 12; ++i) order[size_t(i)] = i;
  std::stable_sort(order.begin(), order.end(), [&](int a, int b) { return count[size_t(a)] > count[size_t(b)]; });
  std::array<bool, 12> in{};
  for (int i = 0; i < n; ++i) in[size_t(order[size_t(i)])] = true;
  return in;
}

}  // namespace continuo::eval
