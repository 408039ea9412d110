// audio/join.cpp: a rendered continuation joined onto the recording it continues.
//
// The recording plays up to the seam (a downbeat); over the next `fade_s` it crossfades (raised
// cosine) into the rendering, which starts at the seam, gain-matched so that its RMS equals the
// RMS of the recording's last two seconds before the seam.
#include <algorithm>
#include <cmath>

#include "continuo/error.hpp"
#include "continuo/transcribe.hpp"

namespace continuo::audio {
namespace {

double db(double rms) { return rms > 0 ? 20.0 * std::log10(rms) : -120.0; }

double rms_of(const std::vector<float>& v, size_t begin, size_t end) {
  double sum = 0;
  for (size_t i = begin; i < end; ++i) sum += double(v[i]) * v[i];
  return end > begin ? std::sqrt(sum / double(end - begin)) : 0.0;
}

// Mono floats of an interleaved 16-bit rendering (channels averaged).
std::vector<float> mono_of(const Audio& a) {
  std::vector<float> m(size_t(a.frames()));
  for (size_t f = 0; f < m.size(); ++f) {
    float sum = 0;
    for (int c = 0; c < a.channels; ++c) sum += a.samples[f * size_t(a.channels) + size_t(c)];
    m[f] = sum / float(a.channels) / 32768.0f;
  }
  return m;
}

double max_step(const std::vector<float>& v, size_t begin, size_t end) {
  double m = 0;
  for (size_t i = std::max<size_t>(begin, 1); i < std::min(end, v.size()); ++i) m = std::max(m, double(std::abs(v[i] - v[i - 1])));
  return m;
}

}  // namespace

Audio join_at(const Signal& clip, const Audio& cont, double seam_s, double fade_s, JoinReport* report) {
  if (clip.sample_rate <= 0 || cont.sample_rate != clip.sample_rate || cont.channels < 1)
    throw Error(ErrorCode::kInvalidArgument, "join: the continuation must be rendered at the recording's sample rate");
  const int rate = clip.sample_rate;
  const size_t seam = std::min(clip.samples.size(), size_t(std::max(0.0, std::round(seam_s * rate))));
  const size_t fade = size_t(std::max(1.0, std::round(fade_s * rate)));
  const std::vector<float> c = mono_of(cont);
  // levels: the recording's last two seconds before the seam, and the rendering's sounding part
  // (its release tail, the last second, left out)
  const size_t two_s = size_t(2 * rate), tail = size_t(rate);
  const double clip_rms = rms_of(clip.samples, seam > two_s ? seam - two_s : 0, seam);
  const double cont_rms = rms_of(c, 0, c.size() > 2 * tail ? c.size() - tail : c.size());
  double gain = cont_rms > 0 && clip_rms > 0 ? clip_rms / cont_rms : 1.0;
  gain = std::clamp(gain, 0.0625, 16.0);   // +-24 dB at most

  const size_t n = seam + c.size();
  std::vector<float> out(n, 0.0f);
  for (size_t i = 0; i < n; ++i) {
    if (i < seam) {
      out[i] = clip.samples[i];
      continue;
    }
    // w: 0 -> 1 over the fade (raised cosine); the two weights sum to one, so the output never
    // steps further than either signal does
    const double w = i < seam + fade ? 0.5 * (1 - std::cos(M_PI * double(i - seam) / double(fade))) : 1.0;
    const double old = i < clip.samples.size() ? clip.samples[i] : 0.0;
    out[i] = float((1 - w) * old + w * c[i - seam] * gain);
  }
  // keep the peaks inside full scale: lower the continuation's gain if it would clip
  double peak = 0;
  for (size_t i = seam; i < n; ++i) peak = std::max(peak, double(std::abs(out[i])));
  if (peak > 0.99) {
    const double k = 0.99 / peak;
    for (size_t i = seam; i < n; ++i) out[i] = float(out[i] * k);
    gain *= k;
  }
  Audio a;
  a.sample_rate = rate;
  a.channels = 2;
  a.samples.resize(2 * n);
  for (size_t i = 0; i < n; ++i) {
    const auto s = int16_t(std::clamp<long>(std::lround(out[i] * 32767.0), -32768, 32767));
    a.samples[2 * i] = a.samples[2 * i + 1] = s;
  }
  if (report) {
    report->seam_s = double(seam) / rate;
    report->gain_db = db(gain);
    report->clip_last_db = db(clip_rms);
    report->cont_db = db(cont_rms * gain);
    const size_t ms10 = size_t(rate / 100);
    report->max_step_seam = max_step(out, seam > ms10 ? seam - ms10 : 0, seam + fade + ms10);
    report->max_step_clip = max_step(clip.samples, 0, clip.samples.size());
  }
  return a;
}

}  // namespace continuo::audio
