// Model negative log-likelihood over documents (libtorch forward, teacher forcing, windows).
#include <array>
#include <cmath>

#include "continuo/error.hpp"
#include "continuo/eval.hpp"
#include "model/transformer.hpp"
#include "train/main_pitch_classes.hpp"

namespace continuo::eval {
using tokenizer::Event;
using tokenizer::Kind;

double NllResult::bits_per_event() const { return events ? nats / events / std::log(2.0) : 0; }
double NllResult::bits_per_note() const { return notes ? nats / notes / std::log(2.0) : 0; }
double NllResult::pitch_bits_per_note() const { return notes ? pitch_nats / notes / std::log(2.0) : 0; }

namespace {

struct Win {
  tokenizer::Window w;
  torch::Tensor copy;    // [events, K, 8] copy proposals after each event (copy_prior models)
  size_t first_target;   // index of the first event whose prediction counts
  std::array<bool, 12> in_key{};   // the document's 7 most used pitch classes
  std::array<bool, tokenizer::kMaxTracks> drum{};   // the document's drum tracks
};

// Drum flags of the tracks a sequence declares.
std::array<bool, tokenizer::kMaxTracks> drum_tracks(const std::vector<Event>& ev) {
  std::array<bool, tokenizer::kMaxTracks> drum{};
  for (const Event& e : ev)
    if (e.kind() == Kind::kTrack) drum[e[tokenizer::Field::kTrack] % tokenizer::kMaxTracks] = e[tokenizer::Field::kValue] >= tokenizer::kDrumKitBase;
  return drum;
}

torch::Tensor events_tensor(const std::vector<Event>& ev) {
  auto t = torch::zeros({1, int64_t(ev.size()), tokenizer::kNumFields}, torch::kInt64);
  auto a = t.accessor<int64_t, 3>();
  for (size_t i = 0; i < ev.size(); ++i)
    for (int f = 0; f < tokenizer::kNumFields; ++f) a[0][int64_t(i)][f] = ev[i].f[size_t(f)];
  return t;
}

class Scorer {
 public:
  explicit Scorer(const model::ModelFiles& files) : cfg_(model::load_config(files.config_path)), net_(cfg_) {
    auto w = model::load_safetensors(files.weights_path);
    model::check_weights(cfg_, w);
    model::import_weights(net_, w);
    net_->eval();
  }

  void add_document(const std::vector<Event>& ev) {
    auto pos = tokenizer::Tokenizer::positions(ev);
    const size_t h = tokenizer::Tokenizer::header_length(ev);
    const size_t room = size_t(cfg_.max_len) > h + 2 ? size_t(cfg_.max_len) - h - 2 : 1;
    const auto drum = drum_tracks(ev);
    std::array<int, 12> count{};
    for (const Event& e : ev)
      if (e.kind() == Kind::kNote && !drum[e[tokenizer::Field::kTrack] % tokenizer::kMaxTracks]) ++count[e[tokenizer::Field::kValue] % 12];
    const std::array<bool, 12> in_key = main_pitch_classes(count);
    // the copy path reads the piece from its beginning, whatever the window (as in generation)
    torch::Tensor props;
    if (cfg_.copy_prior) props = model::copy_proposals(events_tensor(ev))[0];   // [N, K, 8]
    for (size_t begin = h; begin < ev.size() || begin == h; begin += room) {
      Win win{tokenizer::Tokenizer::crop(ev, pos, begin, begin + room), {}, 0, in_key, drum};
      if (cfg_.copy_prior) {
        const int64_t wh = int64_t(tokenizer::Tokenizer::header_length(win.w.events));
        const int64_t n = int64_t(win.w.events.size());
        win.copy = torch::zeros({n, tokenizer::kCopySources, model::kCopyColumns}, torch::kInt64);
        win.copy.slice(0, wh, n).copy_(props.slice(0, int64_t(begin), int64_t(begin) + (n - wh)));
      }
      // the first window also predicts the header (after BOS); later ones only their body
      win.first_target = begin == h ? 1 : tokenizer::Tokenizer::header_length(win.w.events);
      pending_.push_back(std::move(win));
      if (pending_.size() == 8) flush();
      if (begin + room >= ev.size()) break;
    }
  }

  NllResult finish() {
    flush();
    return result_;
  }

 private:
  void flush() {
    if (pending_.empty()) return;
    torch::NoGradGuard ng;
    size_t T = 0;
    for (auto& p : pending_) T = std::max(T, p.w.events.size());
    const int64_t B = int64_t(pending_.size());
    auto ev = torch::zeros({B, int64_t(T), tokenizer::kNumFields}, torch::kInt64);  // [B, T, 6]
    auto pos = torch::zeros({B, int64_t(T), 2}, torch::kInt64);                       // [B, T, 2]
    auto valid = torch::zeros({B, int64_t(T)}, torch::kFloat32);                     // [B, T] target counts
    auto ea = ev.accessor<int64_t, 3>();
    auto pa = pos.accessor<int64_t, 3>();
    auto va = valid.accessor<float, 2>();
    auto note = torch::zeros({B, int64_t(T)}, torch::kFloat32), pitched = torch::zeros({B, int64_t(T)}, torch::kFloat32);
    auto off = torch::zeros({B, 128}, torch::kFloat32);   // 1 for pitches outside the piece's key
    auto na = note.accessor<float, 2>(), pia = pitched.accessor<float, 2>(), oa = off.accessor<float, 2>();
    for (int64_t b = 0; b < B; ++b) {
      const auto& w = pending_[b].w;
      const auto& drum = pending_[b].drum;
      for (int p = 0; p < 128; ++p) oa[b][p] = pending_[b].in_key[size_t(p % 12)] ? 0.0f : 1.0f;
      for (size_t t = 0; t < w.events.size(); ++t) {
        const Event& e = w.events[t];
        for (int f = 0; f < tokenizer::kNumFields; ++f) ea[b][t][f] = e.f[f];
        pa[b][t][0] = w.pos[t].beat_pos;
        pa[b][t][1] = w.pos[t].bar_pos;
        if (t >= pending_[b].first_target) {
          va[b][t] = 1;
          ++result_.events;
          if (e.kind() != Kind::kNote) continue;
          ++result_.notes;
          na[b][t] = 1;
          if (!drum[e[tokenizer::Field::kTrack] % tokenizer::kMaxTracks]) {
            pia[b][t] = 1;
            ++result_.pitched_notes;
            result_.off_key_notes += !pending_[b].in_key[size_t(e[tokenizer::Field::kValue] % 12)];
          }
        }
      }
    }
    torch::Tensor copy;
    if (cfg_.copy_prior) {
      copy = torch::zeros({B, int64_t(T), tokenizer::kCopySources, model::kCopyColumns}, torch::kInt64);
      for (int64_t b = 0; b < B; ++b) copy[b].slice(0, 0, pending_[size_t(b)].copy.size(0)).copy_(pending_[size_t(b)].copy);
      copy = copy.slice(1, 0, int64_t(T) - 1);
    }
    auto inp = ev.slice(1, 0, T - 1), tgt = ev.slice(1, 1, T);
    auto h = net_->hidden(inp, pos.slice(1, 0, T - 1));                     // [B, T-1, d]
    auto sc = net_->score(h, inp, tgt, copy);
    auto keep = valid.slice(1, 1, T);                                       // [B, T-1]
    result_.nats -= (sc.field_logp.sum(-1) * keep).sum().item<double>();
    const int fv = int(tokenizer::Field::kValue);
    result_.pitch_nats -= (sc.field_logp.select(-1, fv) * note.slice(1, 1, T)).sum().item<double>();
    // probability outside the key: the network's share times its weight, plus the proposals'
    auto mass = sc.value_post.select(-1, 0) * (sc.value_net_logp.slice(-1, 0, 128).exp() * off.unsqueeze(1)).sum(-1);   // [B, T-1]
    if (cfg_.copy_prior) {
      auto pv = sc.copy.select(-1, fv).clamp_max(127);                                            // [B, T-1, K]
      auto off_prop = off.unsqueeze(1).expand({B, int64_t(T) - 1, 128}).gather(-1, pv);            // [B, T-1, K]
      mass = mass + (sc.value_post.slice(-1, 1) * off_prop).sum(-1);
    }
    result_.off_key_mass += (mass * pitched.slice(1, 1, T)).sum().item<double>();
    pending_.clear();
  }

  model::Config cfg_;
  model::Transformer net_;
  std::vector<Win> pending_;
  NllResult result_;
};

}  // namespace

NllResult model_nll(const model::ModelFiles& files, const train::Split& split, size_t max_docs) {
  Scorer s(files);
  size_t n = max_docs ? std::min(max_docs, split.size()) : split.size();
  for (size_t d = 0; d < n; ++d) s.add_document(split.events(d));
  return s.finish();
}

NllResult model_nll_events(const model::ModelFiles& files, const std::vector<Event>& events) {
  Scorer s(files);
  s.add_document(events);
  return s.finish();
}

}  // namespace continuo::eval
