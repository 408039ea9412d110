// continuo/units.hpp: typed time units, so that a beat count is never added to a tick count.
//
//   using namespace continuo;
//   Ticks a{480}, b{240};
//   Ticks c = a + b;            // fine
//   // a + Seconds{1.0};        // does not compile
//   int64_t raw = c.count();
#pragma once

#include <compare>
#include <cstdint>

namespace continuo {

template <class Tag, class Rep>
class Quantity {
 public:
  using rep = Rep;
  constexpr Quantity() = default;
  constexpr explicit Quantity(Rep v) : v_(v) {}
  constexpr Rep count() const { return v_; }
  constexpr Quantity operator+(Quantity o) const { return Quantity(v_ + o.v_); }
  constexpr Quantity operator-(Quantity o) const { return Quantity(v_ - o.v_); }
  constexpr Quantity& operator+=(Quantity o) { v_ += o.v_; return *this; }
  constexpr Quantity& operator-=(Quantity o) { v_ -= o.v_; return *this; }
  constexpr Quantity operator*(Rep k) const { return Quantity(v_ * k); }
  constexpr auto operator<=>(const Quantity&) const = default;

 private:
  Rep v_{};
};

struct TickTag {};
struct BeatTag {};
struct SecondTag {};

using Ticks = Quantity<TickTag, int64_t>;   // MIDI ticks at the score's ticks_per_beat
using Beats = Quantity<BeatTag, double>;    // quarter-note beats
using Seconds = Quantity<SecondTag, double>;

}  // namespace continuo
