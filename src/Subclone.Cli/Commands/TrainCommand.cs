using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Spectre.Console;
using Subclone.Checkpoints;
using Subclone.Data;
using Subclone.Data.Tokenizers;
using Subclone.Models;
using Subclone.Training;
using Subclone.Models.Families;

namespace Subclone.Cli.Commands;

/// <summary>
/// subclone train MODEL --data PATH... --out DIR: next-token training of a decoder (a subcloned child, a pretrained
/// model, or --config for a random init), with checkpoints in DIR that --resume continues exactly.
/// </summary>
public static class TrainCommand
{
    public static Command Create(CliIo io)
    {
        var modelArg = new Argument<string?>("MODEL") { Description = "Model to train: a decoder or ViT as an HF directory or Hub id, or a llama2.c .bin (or use --config)", Arity = ArgumentArity.ZeroOrOne };
        var config = new Option<string?>("--config") { Description = "config.json to build a randomly initialised model from (HF's init, seeded by --seed)" };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Tokenizer: directory with tokenizer files, llama2.c .bin, SentencePiece .model (default: the model's own, or files beside --config)" };
        var data = new Option<string[]>("--data") { Description = "Training text: files or folders of .txt/.jsonl (default: the .NET SDK's XML API docs); for a ViT, labelled images: an IDX images file (labels beside it) or a folder per class", AllowMultipleArgumentsPerToken = true };
        var output = new Option<string>("--out") { Description = "Run directory: the model (HF format), trainer state and metrics", Required = true };
        var cache = new Option<string?>("--cache") { Description = "Token cache directory (default: $XDG_CACHE_HOME/subclone/tokens or ~/.cache/subclone/tokens)" };
        var d = new TrainingOptions();
        var steps = new Option<int>("--steps") { Description = "Optimizer steps", DefaultValueFactory = _ => d.Steps };
        var batch = new Option<int>("--batch") { Description = "Sequences per micro-batch", DefaultValueFactory = _ => d.BatchSize };
        var seq = new Option<int>("--seq") { Description = "Tokens per sequence", DefaultValueFactory = _ => d.SequenceLength };
        var lr = new Option<double>("--lr") { Description = "Peak learning rate", DefaultValueFactory = _ => d.LearningRate };
        var minLr = new Option<double?>("--min-lr") { Description = "Learning rate at the end of the cosine decay (default: --lr / 10)" };
        var wd = new Option<double>("--wd") { Description = "AdamW weight decay on matrices", DefaultValueFactory = _ => d.WeightDecay };
        var warmup = new Option<int?>("--warmup") { Description = "Linear warmup steps (default: 10% of --steps, at most 100)" };
        var evalEvery = new Option<int>("--eval-every") { Description = "Evaluate every N steps (0: never)", DefaultValueFactory = _ => d.EvalEvery };
        var evalBatches = new Option<int>("--eval-batches") { Description = "Batches in the fixed validation set", DefaultValueFactory = _ => d.EvalBatches };
        var saveEvery = new Option<int>("--save-every") { Description = "Checkpoint every N steps (0: only at the end)", DefaultValueFactory = _ => d.SaveEvery };
        var gradAccum = new Option<int>("--grad-accum") { Description = "Micro-batches per optimizer step", DefaultValueFactory = _ => d.GradAccum };
        var clip = new Option<double>("--clip") { Description = "Gradient-norm clipping (0: off)", DefaultValueFactory = _ => d.GradClip };
        var seed = new Option<long>("--seed") { Description = "Seed for initialisation and batch sampling", DefaultValueFactory = _ => d.Seed };
        var decayEmbeddings = new Option<bool>("--decay-embeddings") { Description = "Apply weight decay to embedding tables too" };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --out from its last checkpoint (its options, unless given again)" };
        var force = new Option<bool>("--force") { Description = "Replace --out if it exists" };
        var distill = new Option<string?>("--distill") { Description = "Also learn this parent's next-token distribution (KL at --distill-temperature; same vocabulary)" };
        var distillTemperature = new Option<double>("--distill-temperature") { Description = "Softmax temperature of distillation", DefaultValueFactory = _ => d.DistillTemperature };
        var distillWeight = new Option<double>("--distill-weight") { Description = "Weight of the distillation term", DefaultValueFactory = _ => d.DistillWeight };
        var json = new Option<bool>("--json") { Description = "Print a JSON summary (steps, losses, tokens, speed)" };
        var valData = new Option<string?>("--val-data") { Description = "ViT: validation images (IDX images file or folder per class; default: a seeded tenth of --data held out)" };
        var cropPadding = new Option<int>("--crop-padding") { Description = "ViT: pad training images by N pixels and crop a random window (a shift of up to ±N)" };
        var flip = new Option<bool>("--flip") { Description = "ViT: mirror training images with probability 1/2" };
        var command = new Command("train", "Train a decoder on text (next-token) or a ViT on labelled images (cross-entropy): AdamW, warmup + cosine, checkpoints, metrics, exact resume")
        {
            modelArg, config, tokenizer, data, output, cache, steps, batch, seq, lr, minLr, wd, warmup, evalEvery, evalBatches,
            saveEvery, gradAccum, clip, seed, decayEmbeddings, resume, force, json, distill, distillTemperature, distillWeight,
            valData, cropPadding, flip,
        };
        command.SetAction(r => io.Guard(() =>
        {
            bool Given(Option option) => r.GetResult(option) is { Implicit: false };
            bool quiet = r.GetValue(json);
            var status = Progress.Status(io, quiet);
            string outDir = Path.GetFullPath(r.GetValue(output)!);
            string? modelSpec = r.GetValue(modelArg), configPath = r.GetValue(config), tokenizerPath = r.GetValue(tokenizer);

            // The run's options: the command line's, or on resume the checkpoint's with what was given again on top.
            TrainingOptions Options(TrainingOptions baseline) => baseline with
            {
                Steps = Given(steps) ? r.GetValue(steps) : baseline.Steps,
                BatchSize = Given(batch) ? r.GetValue(batch) : baseline.BatchSize,
                SequenceLength = Given(seq) ? r.GetValue(seq) : baseline.SequenceLength,
                LearningRate = Given(lr) ? r.GetValue(lr) : baseline.LearningRate,
                MinLearningRate = Given(minLr) ? r.GetValue(minLr) : baseline.MinLearningRate,
                WeightDecay = Given(wd) ? r.GetValue(wd) : baseline.WeightDecay,
                WarmupSteps = Given(warmup) ? r.GetValue(warmup) : baseline.WarmupSteps,
                EvalEvery = Given(evalEvery) ? r.GetValue(evalEvery) : baseline.EvalEvery,
                EvalBatches = Given(evalBatches) ? r.GetValue(evalBatches) : baseline.EvalBatches,
                SaveEvery = Given(saveEvery) ? r.GetValue(saveEvery) : baseline.SaveEvery,
                GradAccum = Given(gradAccum) ? r.GetValue(gradAccum) : baseline.GradAccum,
                GradClip = Given(clip) ? r.GetValue(clip) : baseline.GradClip,
                Seed = Given(seed) ? r.GetValue(seed) : baseline.Seed,
                DecayEmbeddings = Given(decayEmbeddings) ? r.GetValue(decayEmbeddings) : baseline.DecayEmbeddings,
                DistillTemperature = Given(distillTemperature) ? r.GetValue(distillTemperature) : baseline.DistillTemperature,
                DistillWeight = Given(distillWeight) ? r.GetValue(distillWeight) : baseline.DistillWeight,
            };

            // The model and the run's options: from the checkpoint (resume), a config (random init) or a model.
            TransformerModel model;
            TrainingOptions options;
            TrainingCheckpoint? checkpoint = null;
            ModelSource? source = null;
            if (r.GetValue(resume))
            {
                if (!Directory.Exists(outDir)) throw new UserInputException($"--resume: {outDir} does not exist");
                checkpoint = TrainingCheckpoint.Load(outDir);
                options = Options(checkpoint.State.Options);
                model = checkpoint.Model;
            }
            else
            {
                if (Directory.Exists(outDir) && !r.GetValue(force))
                    throw new UserInputException($"{outDir} already exists (pass --resume to continue its run, or --force to replace it)");
                options = Options(new TrainingOptions());
                options.Validate();
                if ((modelSpec is null) == (configPath is null)) throw new UserInputException("give a MODEL to train or --config for a random init (not both)");
                if (configPath is not null)
                {
                    if (!File.Exists(configPath)) throw new UserInputException($"--config {configPath}: no such file");
                    model = TransformerModel.Create(ModelConfig.Load(configPath), options.Seed);
                }
                else
                {
                    if (Path.GetFullPath(modelSpec!) == outDir) throw new UserInputException($"--out is the model being trained; pass --resume to continue a run, or another --out");
                    source = io.LoadModel(r, modelSpec!);
                    model = source.Model;
                }
            }
            options.Validate();
            if (model.Config.Family.Kind == FamilyKind.ImageClassifier)
            {
                var augmentation = checkpoint?.State.Augmentation is { } saved && !Given(cropPadding) && !Given(flip)
                    ? saved
                    : new Data.Images.ImageAugmentation(r.GetValue(cropPadding), r.GetValue(flip));
                string? companion = checkpoint is not null ? null
                    : configPath is not null ? Path.GetDirectoryName(Path.GetFullPath(configPath)) : source!.Directory;
                var imageSummary = TrainImages.Run(io, quiet, model, options, checkpoint, outDir, Given(data) ? r.GetValue(data) : null,
                    r.GetValue(valData), augmentation, companion, r.GetValue(force));
                Report(io, quiet, model, outDir, imageSummary, images: true);
                return 0;
            }
            if (r.GetValue(valData) is not null || Given(cropPadding) || Given(flip))
                throw new UserInputException("--val-data, --crop-padding and --flip are for image models (ViT)");

            ITextTokenizer tok;
            string tokenizerSource;
            string? companionSource;
            IReadOnlyList<string> dataPaths = r.GetValue(data) ?? [];
            if (checkpoint is not null)
            {
                // The tokenizer the run started with, so the token cache and its ids are the same ones.
                tokenizerSource = tokenizerPath ?? checkpoint.State.TokenizerSource ?? outDir;
                if (!Path.Exists(tokenizerSource)) tokenizerSource = outDir;
                tok = TokenizerResolver.Load(tokenizerSource, model.Config.Vocab);
                if (!Given(data))
                    dataPaths = checkpoint.State.DataInputs.SequenceEqual([DefaultCorpus.Name]) ? [] : checkpoint.State.DataInputs;
                companionSource = null;  // the run directory's own tokenizer files are carried from checkpoint to checkpoint
            }
            else if (configPath is not null)
            {
                string configDir = Path.GetDirectoryName(Path.GetFullPath(configPath))!;
                tokenizerSource = Path.GetFullPath(tokenizerPath ?? configDir);
                tok = TokenizerResolver.Load(tokenizerSource, model.Config.Vocab);
                companionSource = Directory.Exists(tokenizerSource) ? tokenizerSource : null;
            }
            else
            {
                tokenizerSource = Path.GetFullPath(tokenizerPath ?? modelSpec!);
                tok = tokenizerPath is not null ? TokenizerResolver.Load(tokenizerPath, model.Config.Vocab)
                    : source!.Tokenizer ?? throw new UserInputException($"{modelSpec} has no tokenizer files; pass --tokenizer");
                companionSource = tokenizerPath is not null && Directory.Exists(tokenizerPath) ? tokenizerPath : source!.Directory;
            }
            if (!model.Config.IsDecoder) throw new UserInputException($"training {model.Config.ArchitectureName} is not supported yet; decoders (GPT-2, Llama) and ViT train");
            TokenizerResolver.CheckFits(tok, model.Config, tokenizerSource);

            status($"reading {(dataPaths.Count == 0 ? "the default corpus" : string.Join(", ", dataPaths))}");
            using var tokens = TokenCache.Open(dataPaths, tok, r.GetValue(cache), status: status);
            if (checkpoint is not null && checkpoint.State.DataSha256 is string sha && sha != tokens.Info.ContentSha256)
                throw new UserInputException($"--resume: the training data changed since the checkpoint (content hash {sha[..12]}… is now {tokens.Info.ContentSha256[..12]}…); it cannot continue exactly");
            if (checkpoint is not null && checkpoint.State.Tokenizer is string identity && identity != tokens.Info.Tokenizer)
                throw new UserInputException($"--resume: the tokenizer differs from the run's ({identity})");
            status($"{tokens.Info.Tokens:N0} tokens ({tokens.Info.DtypeName}): {tokens.Info.TrainTokens:N0} train, {tokens.Info.ValidationTokens:N0} validation in {tokens.Info.ValidationDocuments:N0} documents");

            if (r.GetValue(force) && !r.GetValue(resume) && Directory.Exists(outDir)) Directory.Delete(outDir, recursive: true);
            var batcher = new TokenBatcher(tokens, options.BatchSize, options.SequenceLength, unchecked((ulong)options.Seed));
            var initial = new TrainingState
            {
                Options = options, DataInputs = tokens.Info.Inputs, DataSha256 = tokens.Info.ContentSha256,
                Tokenizer = tokens.Info.Tokenizer, TokenizerSource = tokenizerSource,
            };
            status($"training {model.Config.ArchitectureName} ({model.ParameterCount():N0} parameters) for {options.Steps} steps of {options.TokensPerStep:N0} tokens");
            TransformerModel? teacher = null;
            if (r.GetValue(distill) is string teacherSpec)
            {
                teacher = io.LoadModel(r, teacherSpec, quiet).Model;
                if (teacher.Config.Vocab != model.Config.Vocab || !teacher.Config.IsDecoder)
                    throw new UserInputException($"--distill {teacherSpec}: needs a decoder with the child's vocabulary ({model.Config.Vocab}), not {teacher.Config.ArchitectureName} with {teacher.Config.Vocab}");
                teacher.eval();
            }
            using var trainer = new Trainer(model, batcher, options, outDir, checkpoint, companionSource, initial) { Teacher = teacher };

            using var cancel = new CancellationTokenSource();
            ConsoleCancelEventHandler onCancel = (_, e) => { e.Cancel = true; cancel.Cancel(); };
            Console.CancelKeyPress += onCancel;
            TrainingSummary summary;
            try
            {
                summary = Progress.RunWithStatus(io, quiet, options.Steps, trainer.State.Step, report =>
                    trainer.Run(new StepReporter(row => report(row.Step, Describe(row, options.Steps))), cancel.Token));
            }
            finally { Console.CancelKeyPress -= onCancel; }

            Report(io, quiet, model, outDir, summary, images: false);
            return 0;
        }));
        return command;
    }

    /// <summary>The run's summary: a table, or one JSON object with --json. Image runs count images and report
    /// top-1 error and accuracy where text runs report loss and perplexity.</summary>
    internal static void Report(CliIo io, bool quiet, TransformerModel model, string outDir, TrainingSummary summary, bool images)
    {
        var result = new JsonObject
        {
            ["out"] = outDir,
            ["step"] = summary.Step,
            ["steps_this_run"] = summary.StepsThisRun,
            ["stopped"] = summary.Stopped,
            ["params"] = model.ParameterCount(),
            ["train_loss"] = summary.TrainLoss,
        };
        if (images)
        {
            result["initial_val_error"] = summary.InitialValLoss;
            result["val_error"] = summary.ValLoss;
            result["val_accuracy"] = summary.ValLoss is double e ? 1 - e : null;
            result["images"] = summary.Tokens;
            result["images_per_s"] = Math.Round(summary.TokensPerSecond, 1);
        }
        else
        {
            result["initial_val_loss"] = summary.InitialValLoss;
            result["val_loss"] = summary.ValLoss;
            result["val_ppl"] = summary.ValLoss is double v ? Math.Exp(v) : null;
            result["tokens"] = summary.Tokens;
            result["tokens_per_s"] = Math.Round(summary.TokensPerSecond, 1);
        }
        result["seconds"] = Math.Round(summary.Seconds, 2);
        result["steps_per_s"] = Math.Round(summary.StepsPerSecond, 3);
        if (quiet) { io.WriteJson(result); return; }
        var table = new Table().AddColumn("").AddColumn("").HideHeaders().Border(TableBorder.Rounded);
        foreach (var (k, value) in result) table.AddRow(k, Markup.Escape(value?.ToString() ?? ""));
        InfoCommand.Console(io).Write(table);
    }

    internal static string Describe(StepMetrics row, int total, string rate = "tok/s")
    {
        var c = CultureInfo.InvariantCulture;
        string text = $"step {row.Step}/{total}";
        if (row.TrainLoss is double loss) text += string.Format(c, " loss {0:F3}", loss);
        if (row.ValLoss is double val) text += string.Format(c, " val {0:F3}", val);
        if (row.TokensPerSecond > 0) text += string.Format(c, " {0:F0} {1}", row.TokensPerSecond, rate);
        return text;
    }

    /// <summary>Reports on the training thread, at once (System.Progress would post to the thread pool).</summary>
    internal sealed class StepReporter(Action<StepMetrics> report) : IProgress<StepMetrics>
    {
        public void Report(StepMetrics value) => report(value);
    }
}
