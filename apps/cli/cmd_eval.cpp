// `continuo score`, `continuo eval`, `continuo models`.
// Needs libtorch (CONTINUO_TORCH=ON).
#ifdef CONTINUO_HAVE_TORCH
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <iostream>

#include <nlohmann/json.hpp>

#include "cli/cli.hpp"
#include "continuo/error.hpp"
#include "continuo/eval.hpp"
#include "continuo/midi.hpp"
#include "continuo/score.hpp"
#include "continuo/tokenizer.hpp"
#include "continuo/train.hpp"

namespace continuo::cli {
namespace {

struct ScoreArgs {
  std::string file, model = "default";
  bool json = false;
};

Verb score_verb{"score", "How likely the model finds a MIDI file (bits per note and per event)", [](CLI::App& app) {
  auto a = std::make_shared<ScoreArgs>();
  app.add_option("file", a->file, "MIDI file")->required();
  app.add_option("-m,--model", a->model, "model name or folder");
  app.add_flag("--json", a->json, "print JSON");
  return [a] {
    auto files = model::find_model(a->model);
    auto cfg = model::load_config(files.config_path);
    score::Score s = score::load(a->file);
    auto ev = tokenizer::Tokenizer({cfg.controls}).encode(s);
    auto r = eval::model_nll_events(files, ev);
    if (a->json) {
      nlohmann::json j = {{"file", a->file}, {"model", files.name}, {"events", r.events}, {"notes", r.notes},
                          {"nats", r.nats}, {"bits_per_event", r.bits_per_event()}, {"bits_per_note", r.bits_per_note()}};
      std::cout << j.dump(2) << "\n";
    } else {
      std::printf("%s under model '%s': %.3f bits per note, %.3f bits per event (%lld events, %lld notes)\n",
                  a->file.c_str(), files.name.c_str(), r.bits_per_note(), r.bits_per_event(), (long long)r.events,
                  (long long)r.notes);
    }
    return 0;
  };
}, 20};

struct EvalArgs {
  std::string model = "default", data, held_out, write_loop;
  int loop_bars = 8;
  size_t max_docs = 0;
  bool continuations = false, json = false, copy = false, skip_nll = false;
  int seeds = 8, repeat_events = 400;
  int pieces = 24, prompt_events = 256, events = 256;
  uint64_t seed = 1;
  float key_strength = 0.0f;
  float loop_guard = 1.0f;
  float part_balance = -1.0f;
  float pitched_anchor = -1.0f;
  float key_anchor = -1.0f;
  float copy_anchor = -1.0f;
  bool with_drums = false;
  bool infill = false;
  std::string accompany;
  int candidates = 0, bars = 0;
  double density_weight = -1, model_density = -1, vary_share = -1, max_repeat = -1, range_weight = -1;
  double match_weight = -1, match_distance = -1;
  double steer_share = -1;
  float steer_strength = -1;
  bool whole_pieces = false;
  int context_bars = 0;
  float vary_strength = -1;
  bool blind = false;
  double lookahead_weight = 1, melody_on_top = -1, follow_rhythm = -1;
  std::string save_dir, candidates_log;
  std::string bar_table, split = "valid";
  std::vector<float> temperatures = {0.7f, 1.0f, 1.3f};
};

Verb eval_verb{"eval", "Validation bits per note of a model beside an n-gram baseline; continuation statistics", [](CLI::App& app) {
  auto a = std::make_shared<EvalArgs>();
  app.add_option("-m,--model", a->model, "model name or folder");
  app.add_option("--data", a->data, "token shards (from `continuo dataset build`)");
  app.add_option("--write-loop", a->write_loop, "write the strict loop of --copy (8 bars, or --loop-bars) as a MIDI file and stop");
  app.add_option("--loop-bars", a->loop_bars, "bars of the loop --write-loop writes")->check(CLI::Range(1, 256));
  app.add_option("--max-docs", a->max_docs, "evaluate only the first N validation pieces (0 = all)");
  app.add_flag("--continuations", a->continuations, "also measure continuations against their prompts");
  app.add_option("--pieces", a->pieces, "pieces for --continuations")->check(CLI::Range(1, 10000));
  app.add_option("--prompt-events", a->prompt_events, "prompt length for --continuations")->check(CLI::Range(16, 4096));
  app.add_option("--events", a->events, "continuation length for --continuations")->check(CLI::Range(16, 4096));
  app.add_option("--seed", a->seed, "seed for --continuations");
  app.add_option("--save", a->save_dir, "--continuations: write each piece's prompt with its true continuation and each sample as MIDI into this folder");
  app.add_option("--temperatures", a->temperatures, "--continuations: the sampling temperatures (default 0.7 1 1.3)")
      ->check(CLI::Range(0.0, 5.0))->expected(1, 8);
  app.add_option("--key-anchor", a->key_anchor, "key anchor for --continuations (0 = the key prior as trained; default: the model's own)")
      ->check(CLI::Range(0.0, 1.0));
  app.add_flag("--with-drums", a->with_drums, "--continuations: only pieces whose prompt has 16 drum hits or more (the groove column)");
  app.add_option("--copy-anchor", a->copy_anchor, "groove anchor for --continuations (0 = off; default: the model's own)")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--loop-guard", a->loop_guard, "loop guard for --continuations (1 = off)")->check(CLI::Range(0.0, 1.0));
  app.add_option("--pitched-anchor", a->pitched_anchor, "phrase anchor of pitched parts for --continuations (0 = off; default: the model's own)")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--part-balance", a->part_balance, "part balance for --continuations (0 = off; default: the model's own)")
      ->check(CLI::Range(0.0, 4.0));
  app.add_option("--key-strength", a->key_strength, "keep-the-key strength for --continuations (0 = the model alone)")
      ->check(CLI::Range(0.0, 10.0));
  app.add_flag("--copy", a->copy,
               "also measure whether the model uses what the piece already did: the cost of an exact second "
               "pass, the continuation of a strict loop, generation without a prompt");
  app.add_option("--seeds", a->seeds, "seeds for the loop and the unprompted generation of --copy")->check(CLI::Range(1, 1000));
  app.add_option("--repeat-events", a->repeat_events,
                 "--copy: events of each piece written twice (240: both passes inside a 512-event context)")
      ->check(CLI::Range(8, 4096));
  app.add_option("--held-out", a->held_out,
                 "evaluate on the validation split of these shards (e.g. ../shared/eval/holdout built with "
                 "--valid-permille 1000) instead of --data's; the n-gram is still fit on --data's training split");
  app.add_flag("--infill", a->infill,
               "measure infill on --pieces pieces: bars 5-8 (or --bars) written anew beside the truth, the bars before copied "
               "in and a plain continuation; the seam's bits per note and the passage against the true one");
  app.add_option("--accompany", a->accompany,
                 "measure accompaniment on the MIDI files of this folder with MELODY and PIANO tracks (POP909): the melody "
                 "kept, a piano part written for the first 32 bars (or --bars)");
  app.add_option("--candidates", a->candidates, "--infill / --accompany: candidates per passage (default 24 / 4)")->check(CLI::Range(1, 64));
  app.add_option("--bars", a->bars, "--infill: bars written (default 4); --accompany: bars of each song (default 32)")->check(CLI::Range(1, 256));
  app.add_option("--density-weight", a->density_weight, "--infill / --accompany: weight of the note density in the choice (default: the library's)")
      ->check(CLI::Range(0.0, 100.0));
  app.add_option("--model-density", a->model_density,
                 "--infill: share (in log count) of the density aimed at taken from the candidates' median, the rest from "
                 "the surroundings (default: the library's)")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--vary", a->vary_share,
                 "--infill / --accompany: share of the candidates that vary the bars before the passage (accompany: the chunk "
                 "before) (default: the library's)")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--vary-strength", a->vary_strength, "--infill / --accompany: how closely the varied candidates follow those bars (default: the library's)")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--max-repeat", a->max_repeat,
                 "--infill: candidates repeating more than this share of the bars before are chosen only if all do (default: "
                 "the library's)")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--range-weight", a->range_weight,
                 "--infill: weight of the share of notes outside their track's pitch range around the passage (default: the "
                 "library's)")
      ->check(CLI::Range(0.0, 100.0));
  app.add_option("--match-weight", a->match_weight,
                 "--infill: share (in log count) of the density aimed at taken from the window elsewhere in the piece whose "
                 "surroundings match the passage's (default: the library's)")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--match-distance", a->match_distance, "--infill: the largest distance at which such a window counts (default: the library's)")
      ->check(CLI::Range(0.0, 100.0));
  app.add_flag("--whole-pieces", a->whole_pieces,
               "--infill: give infill the whole piece with the passage to rewrite, not only the bars the eval measures");
  app.add_option("--steer", a->steer_strength,
                 "--infill: strength with which the steered candidates' note counts are drawn toward the count aimed at "
                 "(default: the library's)")
      ->check(CLI::Range(0.0, 10.0));
  app.add_option("--steer-share", a->steer_share, "--infill: share of the candidates steered (default: the library's)")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--candidates-log", a->candidates_log,
                 "--infill: write every candidate of the infill row and the terms of the choice as JSON lines here (for "
                 "studying other choices among the same candidates: tools/infill_choice.py)");
  app.add_option("--context-bars", a->context_bars, "--infill: bars before the passage (default 4: the passage is bars 5-8)")
      ->check(CLI::Range(1, 256));
  app.add_option("--lookahead-weight", a->lookahead_weight,
                 "--accompany: 0 chooses among the candidates by density alone (the melody's next bars not scored)")
      ->check(CLI::Range(0.0, 1.0));
  app.add_option("--melody-on-top", a->melody_on_top,
                 "--accompany: weight of keeping the new notes under the melody in the choice (default: the library's)")
      ->check(CLI::Range(0.0, 100.0));
  app.add_option("--follow-rhythm", a->follow_rhythm,
                 "--accompany: weight of the new onsets' agreement with the kept parts' in the choice (default: the library's)")
      ->check(CLI::Range(0.0, 100.0));
  app.add_flag("--blind", a->blind,
               "--infill / --accompany with a future_context model: the chosen row does not know what follows (the ablation)");
  app.add_option("--bar-table", a->bar_table,
                 "write each piece's notes per bar and track (JSON lines: file, bar starts in ticks, per track its program, "
                 "drums and counts) and stop; for studying what predicts a passage's density (tools/infill_density_fit.py)");
  app.add_option("--split", a->split, "--bar-table: the split to read (default valid)")->check(CLI::IsMember({"train", "valid"}));
  app.add_flag("--skip-nll", a->skip_nll, "skip the bits-per-note comparison with the n-gram baseline");
  app.add_flag("--json", a->json, "print JSON");
  return [a] {
    if (!a->write_loop.empty()) {
      score::Score s = tokenizer::Tokenizer().decode(eval::strict_loop_events(a->loop_bars));
      score::save(score::resample(s, 480), a->write_loop);
      std::printf("wrote %s (%d bars)\n", a->write_loop.c_str(), a->loop_bars);
      return 0;
    }
    auto say = [](const std::string& s) { std::fprintf(stderr, "%s\n", s.c_str()); };
    if (!a->accompany.empty()) {
      auto files = model::find_model(a->model);
      auto m = engine::Model::load(files);
      eval::AccompanyEvalOptions o;
      o.pieces = a->pieces;
      if (a->bars) o.bars = a->bars;
      if (a->candidates) o.candidates = a->candidates;
      o.density_weight = a->density_weight;
      o.lookahead_weight = a->lookahead_weight;
      o.melody_on_top = a->melody_on_top;
      o.follow_rhythm = a->follow_rhythm;
      o.vary_share = a->vary_share;
      o.vary_strength = a->vary_strength;
      o.known_future = !a->blind;
      if (a->temperatures.size() == 1) o.temperature = a->temperatures[0];
      o.seed = a->seed;
      o.save_dir = a->save_dir;
      if (a->key_strength > 0) o.key_strength = a->key_strength;
      auto rows = eval::accompany_eval(m, a->accompany, o, say);
      nlohmann::json j = {{"model", files.name}, {"folder", a->accompany}, {"bars", o.bars}, {"rows", nlohmann::json::array()}};
      if (!a->json)
        std::printf("accompaniment of the melody (%d songs, %d bars; per beat: pitch classes vs the true piano part, share of the\n"
                    "melody's pitch classes it sounds too; onset F1 against the melody; of its notes that start while the\n"
                    "melody sounds, the share above it and the share doubling it):\n  %-40s %8s %8s %8s %9s %8s %8s %8s\n",
                    rows.empty() ? 0 : rows[0].pieces, o.bars, "", "pc J", "mel cov", "onset F1", "notes/bt", "above", "unison", "seconds");
      for (const auto& r : rows) {
        if (!a->json)
          std::printf("  %-40s %8.3f %8.3f %8.3f %9.2f %8.3f %8.3f %8.2f\n", r.label.c_str(), r.pc_vs_truth, r.melody_cover,
                      r.onset_f1, r.notes_per_beat, r.above_melody, r.unison, r.seconds);
        j["rows"].push_back({{"label", r.label}, {"pieces", r.pieces}, {"pc_jaccard_vs_truth", r.pc_vs_truth},
                             {"melody_cover", r.melody_cover}, {"onset_f1", r.onset_f1}, {"notes_per_beat", r.notes_per_beat},
                             {"above_melody", r.above_melody}, {"unison", r.unison},
                             {"seconds", r.seconds}});
      }
      if (a->json) std::cout << j.dump(2) << "\n";
      return 0;
    }
    if (a->data.empty()) throw Error(ErrorCode::kInvalidArgument, "--data is required");
    if (!a->bar_table.empty()) {
      const auto split = train::load_split(a->data, a->split);
      const tokenizer::Tokenizer tok;
      const size_t n = a->max_docs ? std::min<size_t>(a->max_docs, split.size()) : split.size();
      std::string out;
      for (size_t d = 0; d < n; ++d) {
        const score::Score s = tok.decode(split.events(d));
        const int bars = int(score::bar_count(s));
        if (bars < 1) continue;
        nlohmann::json j = {{"file", split.files[d]}, {"starts", nlohmann::json::array()}, {"tracks", nlohmann::json::array()}};
        for (int b = 0; b <= bars; ++b) j["starts"].push_back(score::bar_start(s, b).count());
        for (const auto& t : s.tracks) {
          std::vector<int> counts(size_t(bars), 0);
          for (const auto& note : t.notes) {
            int b = 0;
            while (b + 1 < bars && score::bar_start(s, b + 1).count() <= note.start.count()) ++b;
            ++counts[size_t(b)];
          }
          j["tracks"].push_back({{"program", t.program}, {"drums", t.is_drum}, {"bars", counts}});
        }
        out += j.dump() + "\n";
      }
      write_file_atomic(a->bar_table, std::string_view(out));
      std::printf("wrote %s (%zu pieces)\n", a->bar_table.c_str(), n);
      return 0;
    }
    if (a->infill) {
      if (!a->candidates_log.empty()) {   // refused before the work, not after it
        const auto dir = std::filesystem::path(a->candidates_log).parent_path();
        if (!dir.empty() && !std::filesystem::is_directory(dir))
          throw Error(ErrorCode::kInvalidArgument, "--candidates-log " + a->candidates_log + ": no folder " + dir.string());
      }
      auto files = model::find_model(a->model);
      auto m = engine::Model::load(files);
      auto valid = train::load_split(a->held_out.empty() ? a->data : a->held_out, "valid");
      eval::InfillEvalOptions o;
      o.pieces = a->pieces;
      if (a->bars) o.bars = a->bars;
      if (a->candidates) o.candidates = a->candidates;
      o.density_weight = a->density_weight;
      o.model_density = a->model_density;
      o.vary_share = a->vary_share;
      o.vary_strength = a->vary_strength;
      o.max_repeat = a->max_repeat;
      o.range_weight = a->range_weight;
      o.steer_strength = a->steer_strength;
      o.steer_share = a->steer_share;
      o.match_weight = a->match_weight;
      o.match_distance = a->match_distance;
      o.whole_pieces = a->whole_pieces;
      if (a->context_bars) o.context_bars = a->context_bars;
      o.known_future = !a->blind;
      if (a->temperatures.size() == 1) o.temperature = a->temperatures[0];
      o.seed = a->seed;
      o.save_dir = a->save_dir;
      o.candidates_log = a->candidates_log;
      if (a->key_strength > 0) o.key_strength = a->key_strength;
      auto rows = eval::infill_eval(m, valid, o, say);
      nlohmann::json j = {{"model", files.name}, {"data", a->held_out.empty() ? a->data : a->held_out}, {"rows", nlohmann::json::array()}};
      if (!a->json)
        std::printf("infill of bars %d-%d (%d pieces): bits per note of the %d bars after the passage (seam) and the %d after those;\n"
                    "the passage against the true one, and against its surroundings (the bars before and after; outside: the share of\n"
                    "its pitched notes outside their track's pitch range there, widened by 2 semitones):\n"
                    "  %-38s %8s %8s | %8s %10s %8s %8s | %8s %10s %8s %8s %8s | %8s\n",
                    o.context_bars + 1, o.context_bars + o.bars, rows.empty() ? 0 : rows[0].pieces, o.seam_bars, o.seam_bars, "",
                    "seam", "later", "pc L1", "|log dens|", "IOI ovl", "instr J", "pc L1", "|log dens|", "IOI ovl", "repeats", "outside", "seconds");
      for (const auto& r : rows) {
        if (!a->json)
          std::printf("  %-38s %8.3f %8.3f | %8.3f %10.3f %8.3f %8.3f | %8.3f %10.3f %8.3f %8.3f %8.3f | %8.2f\n", r.label.c_str(),
                      r.seam_bits(), r.later_bits(), r.pitch_class_l1, r.density, r.ioi_overlap, r.instrument_jaccard, r.around_pc_l1,
                      r.around_density, r.around_ioi, r.repeats, r.outside_range, r.seconds);
        j["rows"].push_back({{"label", r.label}, {"pieces", r.pieces}, {"seam_bits_per_note", r.seam_bits()},
                             {"later_bits_per_note", r.later_bits()}, {"pitch_class_l1", r.pitch_class_l1},
                             {"log_density_ratio", r.density}, {"ioi_overlap", r.ioi_overlap},
                             {"instrument_jaccard", r.instrument_jaccard}, {"around_pitch_class_l1", r.around_pc_l1},
                             {"around_log_density_ratio", r.around_density}, {"around_ioi_overlap", r.around_ioi},
                             {"repeats_bars_before", r.repeats}, {"outside_range", r.outside_range},
                             {"seconds", r.seconds}});
      }
      if (a->json) std::cout << j.dump(2) << "\n";
      return 0;
    }
    auto files = model::find_model(a->model);
    auto valid = train::load_split(a->held_out.empty() ? a->data : a->held_out, "valid");
    nlohmann::json j = {{"model", files.name}, {"data", a->data}, {"held_out", a->held_out}};
    if (!a->skip_nll) {
    auto train_split = train::load_split(a->data, "train");
    std::fprintf(stderr, "fitting the n-gram baseline on %zu training pieces...\n", train_split.size());
    auto ngram = eval::NgramModel::fit(train_split);
    auto base = ngram.nll(valid, a->max_docs);
    std::fprintf(stderr, "scoring %zu validation pieces with model '%s'...\n",
                 a->max_docs ? std::min(a->max_docs, valid.size()) : valid.size(), files.name.c_str());
    auto ours = eval::model_nll(files, valid, a->max_docs);
    double gain = 1.0 - ours.bits_per_note() / base.bits_per_note();
    j.update({{"pieces", a->max_docs ? std::min(a->max_docs, valid.size()) : valid.size()},
                        {"events", ours.events}, {"notes", ours.notes},
                        {"model_bits_per_note", ours.bits_per_note()}, {"model_bits_per_event", ours.bits_per_event()},
                        {"ngram_bits_per_note", base.bits_per_note()}, {"ngram_bits_per_event", base.bits_per_event()},
                        {"improvement", gain},
                        {"model_pitch_bits_per_note", ours.pitch_bits_per_note()},
                        {"ngram_pitch_bits_per_note", base.pitch_bits_per_note()},
                        {"model_off_key_probability", ours.mean_off_key_mass()},
                        {"real_off_key_share", ours.off_key_share()}});
    if (!a->json) {
      std::printf("validation: %s (%lld events, %lld notes)\n", a->data.c_str(), (long long)ours.events, (long long)ours.notes);
      std::printf("  %-22s %10s %12s %12s\n", "", "bits/note", "bits/event", "pitch bits");
      std::printf("  %-22s %10.3f %12.3f %12.3f\n", ("model " + files.name).c_str(), ours.bits_per_note(), ours.bits_per_event(),
                  ours.pitch_bits_per_note());
      std::printf("  %-22s %10.3f %12.3f %12.3f\n", "n-gram baseline", base.bits_per_note(), base.bits_per_event(),
                  base.pitch_bits_per_note());
      std::printf("  model uses %.1f%% fewer bits per note than the baseline\n", 100 * gain);
      std::printf("  key: the model puts %.1f%% of its pitch probability outside each piece's 7 most used pitch\n"
                  "  classes (notes on pitched tracks); %.1f%% of the real notes are outside them\n",
                  100 * ours.mean_off_key_mass(), 100 * ours.off_key_share());
    }
    }   // !skip_nll
    engine::SampleOptions defaults;   // the CLI's defaults of `continue` and `generate`
    defaults.temperature = 1.0f;
    defaults.top_p = 0.98f;
    defaults.key_strength = 0.5f;
    if (a->copy) {
      auto m = engine::Model::load(files);
      auto rep = eval::repeat_cost(m, valid, a->pieces, a->repeat_events, say);
      auto loop = eval::loop_continuation(m, defaults, a->seeds);
      auto un = eval::unprompted(m, valid, defaults, a->seeds, 200);
      auto q = [](const std::vector<double>& v, double x) { return eval::quantile_of(v, x); };
      const auto hits = eval::copy_source_hits(valid);
      if (!a->json) {
        std::printf("\ncopy sources (tokenizer::CopyTracker) on all %lld notes of the %zu pieces: share each proposes exactly\n  ",
                    (long long)hits.notes, valid.size());
        for (int k = 0; k < tokenizer::kCopySources; ++k) std::printf("source %d %.3f%s", k, hits.source[size_t(k)], k + 1 < tokenizer::kCopySources ? ", " : "\n");
        std::printf("  any of 0-3 %.3f, any of the part sources %.3f, any %.3f\n", hits.any_first, hits.any_parts, hits.any);
        std::printf("\nan exact second pass (%zu pieces, their first bars written twice): it costs %.3f of the first pass's bits\n"
                    "  (median; quartiles %.3f-%.3f; first pass %.2f, second %.2f bits per note, medians)\n",
                    rep.ratios.size(), rep.median, rep.q1, rep.q3, q(rep.first_bits, 0.5), q(rep.second_bits, 0.5));
        std::printf("a strict loop (eval::strict_loop_events): %.2f bits per note over 8 bars, %.2f over 32;\n"
                    "  the two bars after the 8-bar loop, T=1 top-p 0.98 key 0.5, %d seeds: F1 %.3f (mean), %.3f (lowest)\n",
                    loop.bits_8, loop.bits_32, a->seeds, loop.mean_f1, loop.min_f1);
        std::printf("generation without a prompt (%d seeds x 200 events) beside the first 200 events of %zu real pieces:\n"
                    "  most frequent pitch's share: model median %.2f (%.2f-%.2f), real median %.2f (10-90%%: %.2f-%.2f)\n"
                    "  distinct pitches:            model median %.0f (%.0f-%.0f), real median %.0f (10-90%%: %.0f-%.0f)\n",
                    a->seeds, un.real_top_share.size(), q(un.model_top_share, 0.5), q(un.model_top_share, 0), q(un.model_top_share, 1),
                    q(un.real_top_share, 0.5), q(un.real_top_share, 0.1), q(un.real_top_share, 0.9), q(un.model_distinct, 0.5),
                    q(un.model_distinct, 0), q(un.model_distinct, 1), q(un.real_distinct, 0.5), q(un.real_distinct, 0.1),
                    q(un.real_distinct, 0.9));
      }
      j["copy_sources"] = {{"notes", hits.notes}, {"source", hits.source}, {"any_first", hits.any_first},
                           {"any_parts", hits.any_parts}, {"any", hits.any}};
      j["repeat"] = {{"pieces", rep.ratios.size()}, {"median_ratio", rep.median}, {"q1", rep.q1}, {"q3", rep.q3},
                     {"ratios", rep.ratios}};
      j["loop"] = {{"bits_per_note_8_bars", loop.bits_8}, {"bits_per_note_32_bars", loop.bits_32}, {"f1", loop.f1},
                   {"mean_f1", loop.mean_f1}};
      j["unprompted"] = {{"model_top_share", un.model_top_share}, {"model_distinct", un.model_distinct},
                         {"real_top_share_median", q(un.real_top_share, 0.5)}, {"real_top_share_p10", q(un.real_top_share, 0.1)},
                         {"real_top_share_p90", q(un.real_top_share, 0.9)}, {"real_distinct_median", q(un.real_distinct, 0.5)},
                         {"real_distinct_p10", q(un.real_distinct, 0.1)}, {"real_distinct_p90", q(un.real_distinct, 0.9)}};
    }
    if (a->continuations) {
      auto m = engine::Model::load(files);
      eval::ContinuationOptions co;
      co.pieces = a->pieces;
      co.prompt_events = a->prompt_events;
      co.events = a->events;
      co.seed = a->seed;
      co.key_strength = a->key_strength;
      co.loop_guard = a->loop_guard;
      co.part_balance = a->part_balance;
      co.pitched_anchor = a->pitched_anchor;
      co.key_anchor = a->key_anchor;
      co.copy_anchor = a->copy_anchor;
      co.with_drums = a->with_drums;
      co.save_dir = a->save_dir;
      co.temperatures = a->temperatures;
      auto rows = eval::continuations(m, valid, co, [](const std::string& s) { std::fprintf(stderr, "%s\n", s.c_str()); });
      if (!a->json) {
        std::printf("\n(groove: over the %d pieces whose prompt has 16 drum hits or more)", rows.empty() ? 0 : rows[0].stats.groove_pieces);
        std::printf("\ncontinuation vs its prompt (%d pieces, %d-event prompts, %d new events; lower is closer except IoU/Jaccard):\n",
                    rows.empty() ? 0 : rows[0].stats.pieces, a->prompt_events, a->events);
        std::printf("  %-18s %8s %8s %10s %8s %8s %8s %8s %8s %8s %8s\n", "", "pc L1", "off key", "|log dens|", "vel diff", "vel IoU",
                    "instr J", "IOI ovl", "rep bars", "groove", "parts");
      }
      for (const auto& r : rows) {
        const auto& s = r.stats;
        if (!a->json)
          std::printf("  %-18s %8.3f %8.3f %10.3f %8.2f %8.3f %8.3f %8.3f %8.3f %8.3f %8.3f\n", r.label.c_str(), s.pitch_class_l1,
                      s.off_key, s.density_ratio, s.velocity_mean_diff, s.velocity_range_iou, s.instrument_jaccard, s.ioi_overlap,
                      s.repeated_bars, s.groove_overlap, s.part_presence);
        j["continuations"].push_back({{"label", r.label}, {"pieces", s.pieces}, {"pitch_class_l1", s.pitch_class_l1}, {"off_key", s.off_key},
                                      {"log_density_ratio", s.density_ratio}, {"velocity_mean_diff", s.velocity_mean_diff},
                                      {"velocity_range_iou", s.velocity_range_iou}, {"instrument_jaccard", s.instrument_jaccard},
                                      {"ioi_overlap", s.ioi_overlap}, {"repeated_bars", s.repeated_bars},
                                      {"groove_overlap", s.groove_overlap}, {"groove_pieces", s.groove_pieces},
                                      {"part_presence", s.part_presence}, {"part_bars", s.part_bars}});
      }
    }
    if (a->json) std::cout << j.dump(2) << "\n";
    return 0;
  };
}, 21};



}  // namespace
}  // namespace continuo::cli
#endif  // CONTINUO_HAVE_TORCH
