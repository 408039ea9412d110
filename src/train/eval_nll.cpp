// Model negative log-likelihood over documents (libtorch forward, teacher forcing, windows).
#include <cmath>

#include "continuo/error.hpp"
#include "continuo/eval.hpp"
#include "model/transformer.hpp"

namespace continuo::eval {
using tokenizer::Event;
using tokenizer::Kind;

double NllResult::bits_per_event() const { return events ? nats / events / std::log(2.0) : 0; }
double NllResult::bits_per_note() const { return notes ? nats / notes / std::log(2.0) : 0; }

namespace {

struct Win {
  tokenizer::Window w;
  size_t first_target;   // index of the first event whose prediction counts
};

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
    for (size_t begin = h; begin < ev.size() || begin == h; begin += room) {
      Win win{tokenizer::Tokenizer::crop(ev, pos, begin, begin + room), 0};
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
    for (int64_t b = 0; b < B; ++b) {
      const auto& w = pending_[b].w;
      for (size_t t = 0; t < w.events.size(); ++t) {
        for (int f = 0; f < tokenizer::kNumFields; ++f) ea[b][t][f] = w.events[t].f[f];
        pa[b][t][0] = w.pos[t].beat_pos;
        pa[b][t][1] = w.pos[t].bar_pos;
        if (t >= pending_[b].first_target) {
          va[b][t] = 1;
          ++result_.events;
          result_.notes += w.events[t].kind() == Kind::kNote;
        }
      }
    }
    auto inp = ev.slice(1, 0, T - 1), tgt = ev.slice(1, 1, T);
    auto h = net_->hidden(inp, pos.slice(1, 0, T - 1));                     // [B, T-1, d]
    auto used = net_->used_mask.index({tgt.select(-1, 0)});                 // [B, T-1, 6]
    auto keep = valid.slice(1, 1, T);                                       // [B, T-1]
    for (int f = 0; f < tokenizer::kNumFields; ++f) {
      auto lp = torch::log_softmax(net_->field_logits(h, tgt, f, inp).to(torch::kFloat32), -1);  // [B, T-1, V]
      auto picked = lp.gather(-1, tgt.select(-1, f).unsqueeze(-1)).squeeze(-1);             // [B, T-1]
      result_.nats -= (picked * used.select(-1, f) * keep).sum().item<double>();
    }
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
