using System.CommandLine;
using System.Globalization;
using Spectre.Console;
using Subclone.Data;
using Subclone.Reports;
using Subclone.Training;
using Subclone.Models.Families;

namespace Subclone.Cli.Commands;

/// <summary>
/// subclone compare PARENT --data PATH (shape) --steps N --out DIR: the paper's experiment. The same-shaped
/// child is built by subcloning and by the baselines, each trained for the same steps on the same batches with
/// its paper preset; metrics.csv, loss.png and summary.json say how much sooner each reaches random's final loss.
/// </summary>
public static class CompareCommand
{
    public static Command Create(CliIo io)
    {
        var parentArg = new Argument<string>("PARENT") { Description = "Parent model: HF directory, Hub id (org/name[@revision]), llama2.c .bin, or 'minilm'. Decoders train on next tokens, BERT is distilled toward its sentence embeddings, ViT trains on labelled images" };
        var data = new Option<string[]>("--data") { Description = "Training text: files or folders of .txt/.jsonl (default: the .NET SDK's XML API docs); for a ViT parent, one IDX images file with its labels file beside it", AllowMultipleArgumentsPerToken = true };
        var output = new Option<string>("--out") { Description = "Directory for metrics.csv, loss.png, summary.json and each child's run", Required = true };
        var inits = new Option<string>("--inits") { Description = "Comma-separated: subclone, subclone-noscale, uniform, first, random", DefaultValueFactory = _ => "subclone,uniform,random" };
        var d = new TrainingOptions();
        var steps = new Option<int>("--steps") { Description = "Optimizer steps for every child", DefaultValueFactory = _ => 500 };
        var batch = new Option<int>("--batch") { Description = "Sequences per step", DefaultValueFactory = _ => d.BatchSize };
        var seq = new Option<int>("--seq") { Description = "Tokens per sequence", DefaultValueFactory = _ => 128 };
        var evalEvery = new Option<int>("--eval-every") { Description = "Evaluate every N steps", DefaultValueFactory = _ => 25 };
        var evalBatches = new Option<int>("--eval-batches") { Description = "Batches in the fixed validation set", DefaultValueFactory = _ => 8 };
        var warmup = new Option<int?>("--warmup") { Description = "Warmup steps (default: 10% of --steps, at most 100)" };
        var subcloneLr = new Option<double?>("--subclone-lr") { Description = "Learning rate for weight-inheriting children (paper: 1e-4)" };
        var subcloneWd = new Option<double?>("--subclone-wd") { Description = "Weight decay for weight-inheriting children (paper: 0.001)" };
        var randomLr = new Option<double?>("--random-lr") { Description = "Learning rate for the random child (paper class: 1e-3)" };
        var randomWd = new Option<double?>("--random-wd") { Description = "Weight decay for the random child (paper: 0.1)" };
        var cache = new Option<string?>("--cache") { Description = "Token cache directory" };
        var tokenizerOption = new Option<string?>("--tokenizer") { Description = "Tokenizer for the text (default: the parent's): directory, llama2.c .bin, SentencePiece .model" };
        var force = new Option<bool>("--force") { Description = "Replace --out if it exists" };
        var json = new Option<bool>("--json") { Description = "Print summary.json" };
        var valData = new Option<string?>("--val-data") { Description = "ViT: validation images, e.g. the test set (default: a seeded tenth of --data held out)" };
        var shape = new CloneOptionsBinder();
        var command = new Command("compare", "Train the same child from subcloned, baseline and random starts and measure the speed-up")
        {
            parentArg, data, output, inits, steps, batch, seq, evalEvery, evalBatches, warmup, subcloneLr, subcloneWd, randomLr, randomWd, cache, tokenizerOption, force, json,
            valData,
        };
        shape.AddTo(command);
        command.SetAction(r => io.Guard(() =>
        {
            bool quiet = r.GetValue(json);
            var status = Progress.Status(io, quiet);
            string outDir = Path.GetFullPath(r.GetValue(output)!);
            if (Directory.Exists(outDir) && !r.GetValue(force)) throw new UserInputException($"{outDir} already exists (pass --force to replace it)");
            var parent = io.LoadModel(r, r.GetValue(parentArg)!);
            var target = shape.Target(r, parent.Model.Config);
            target.Apply(parent.Model.Config);  // an impossible shape fails before any work
            var initList = r.GetValue(inits)!.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(ChildInits.Parse).Distinct().ToList();
            if (initList.Count == 0) throw new UserInputException("--inits names no init");
            Dictionary<ChildInit, (double, double)> Presets()
            {
                var presets = new Dictionary<ChildInit, (double, double)>();
                foreach (var init in initList)
                {
                    var (lr, wd) = parent.Model.Config.Family.Kind == Subclone.Models.Families.FamilyKind.ImageClassifier ? ChildInits.PaperVitPreset(init) : ChildInits.PaperPreset(init);
                    presets[init] = init == ChildInit.Random
                        ? (r.GetValue(randomLr) ?? lr, r.GetValue(randomWd) ?? wd)
                        : (r.GetValue(subcloneLr) ?? lr, r.GetValue(subcloneWd) ?? wd);
                }
                return presets;
            }
            if (parent.Model.Config.Family.Kind == Subclone.Models.Families.FamilyKind.ImageClassifier)
            {
                var imageTraining = new TrainingOptions
                {
                    Steps = r.GetValue(steps), BatchSize = r.GetValue(batch), SequenceLength = 1,
                    EvalEvery = r.GetValue(evalEvery), WarmupSteps = r.GetValue(warmup), Seed = r.GetValue(shape.Seed), SaveEvery = 0,
                };
                imageTraining.Validate();
                var paths = r.GetValue(data) ?? [];
                if (paths.Length != 1)
                    throw new UserInputException($"{parent.Origin} is an image model: give --data one labelled image source: {Subclone.Data.Images.ImageSources.Expected}");
                var transform = Subclone.Data.Images.ImageTransform.For(parent.Model.Config);
                status($"reading {paths[0]}");
                using var images = Subclone.Data.Images.ImageSources.Load(paths[0], transform);
                using var validationImages = r.GetValue(valData) is string valPath ? Subclone.Data.Images.ImageSources.Load(valPath, transform) : null;
                if (Directory.Exists(outDir)) Directory.Delete(outDir, recursive: true);
                var imagePlan = new ComparisonPlan { Target = target, Inits = initList, Training = imageTraining, Cloning = shape.Options(r), Presets = Presets() };
                var imageResult = Comparison.RunImages(parent, images, imagePlan, outDir, status, ChildProgress(io, quiet, imageTraining.Steps), validationImages);
                ComparisonReport.Write(imageResult, outDir, $"{Path.GetFileName(parent.Origin.TrimEnd('/'))} → {imageResult.ChildShape}");
                Print(io, imageResult, imageTraining.Steps, quiet, outDir);
                return 0;
            }
            if (r.GetValue(valData) is not null) throw new UserInputException("--val-data is for image models (ViT)");
            if (parent.Model.Config.Family.Kind == Subclone.Models.Families.FamilyKind.Encoder)
                return CompareEncoder(io, r, parent, target, initList, training: new TrainingOptions
                {
                    Steps = r.GetValue(steps), BatchSize = r.GetValue(batch), SequenceLength = r.GetValue(seq),
                    EvalEvery = r.GetValue(evalEvery), EvalBatches = r.GetValue(evalBatches), WarmupSteps = r.GetValue(warmup),
                    Seed = r.GetValue(shape.Seed), SaveEvery = 0,
                }, Presets(), shape.Options(r), outDir, r.GetValue(data) ?? [], quiet, status);
            var tokenizer = r.GetValue(tokenizerOption) is string tokenizerPath
                ? TokenizerResolver.CheckFits(TokenizerResolver.Load(tokenizerPath, parent.Model.Config.Vocab), parent.Model.Config, tokenizerPath)
                : parent.Tokenizer ?? throw new UserInputException($"{parent.Origin} has no tokenizer to read the training text with; pass --tokenizer");

            var presets = Presets();
            var training = new TrainingOptions
            {
                Steps = r.GetValue(steps), BatchSize = r.GetValue(batch), SequenceLength = r.GetValue(seq),
                EvalEvery = r.GetValue(evalEvery), EvalBatches = r.GetValue(evalBatches), WarmupSteps = r.GetValue(warmup),
                Seed = r.GetValue(shape.Seed), SaveEvery = 0,
            };
            training.Validate();

            IReadOnlyList<string> dataPaths = r.GetValue(data) ?? [];
            status($"reading {(dataPaths.Count == 0 ? "the default corpus" : string.Join(", ", dataPaths))}");
            using var tokens = TokenCache.Open(dataPaths, tokenizer, r.GetValue(cache), status: status);
            if (Directory.Exists(outDir)) Directory.Delete(outDir, recursive: true);

            var plan = new ComparisonPlan { Target = target, Inits = initList, Training = training, Cloning = shape.Options(r), Presets = presets };
            var result = Comparison.Run(parent, tokens, plan, outDir, status, (name, run) =>
                Progress.RunWithStatus(io, quiet, training.Steps, 0, report =>
                    run(new StepReporter(row => report(row.Step, Describe(name, row, training.Steps))))));
            ComparisonReport.Write(result, outDir, $"{Path.GetFileName(parent.Origin.TrimEnd('/'))} → {result.ChildShape}");

            Print(io, result, training.Steps, quiet, outDir);
            return 0;
        }));
        return command;
    }

    /// <summary>Encoders (BERT) are distilled toward the parent's sentence embeddings instead of trained on next tokens.</summary>
    static int CompareEncoder(CliIo io, ParseResult r, Subclone.Checkpoints.ModelSource parent, Subclone.Cloning.CloneTarget target, List<ChildInit> inits,
        TrainingOptions training, Dictionary<ChildInit, (double, double)> presets, Subclone.Cloning.CloneOptions cloning, string outDir,
        IReadOnlyList<string> dataPaths, bool quiet, Action<string> status)
    {
        training.Validate();
        status($"reading {(dataPaths.Count == 0 ? "the default corpus" : string.Join(", ", dataPaths))}");
        var documents = TextCorpus.Load(dataPaths);
        if (Directory.Exists(outDir)) Directory.Delete(outDir, recursive: true);
        var plan = new ComparisonPlan { Target = target, Inits = inits, Training = training, Cloning = cloning, Presets = presets };
        var result = Comparison.RunEncoder(parent, documents, plan, outDir, status, ChildProgress(io, quiet, training.Steps));
        ComparisonReport.Write(result, outDir, $"{Path.GetFileName(parent.Origin.TrimEnd('/'))} → {result.ChildShape} (distilled)");
        Print(io, result, training.Steps, quiet, outDir);
        return 0;
    }

    static void Print(CliIo io, ComparisonResult result, int steps, bool quiet, string outDir)
    {
        var summary = result.ToJson();
        if (quiet) { io.WriteJson(summary); return; }
        var table = new Table().Border(TableBorder.Rounded).Title(Markup.Escape($"{result.ChildShape}, {steps} steps"))
            .AddColumn("init").AddColumn("lr / wd").AddColumn("at init").AddColumn("final").AddColumn("steps to random's final").AddColumn("speed-up");
        foreach (var (name, node) in summary["inits"]!.AsObject())
            table.AddRow(name, $"{node!["lr"]} / {node["wd"]}", $"{node["init_loss"]}", $"{node["final_loss"]}",
                node["steps_to_random_final"] is { } reached
                    ? $"{reached}{(node["epochs_to_random_final"] is { } epochs ? $" ({epochs} epochs)" : "")}"
                    : "not reached",
                (bool?)node["reached_at_init"] == true ? "at init" : $"{node["speedup_vs_random"]?.ToString() ?? "-"}");
        var console = InfoCommand.Console(io);
        console.Write(table);
        console.MarkupLine($"[grey]{Markup.Escape(result.Metric)}[/]");
        console.MarkupLine($"Wrote [bold]{Markup.Escape(outDir)}[/]: metrics.csv, loss.png, summary.json, and each child's run.");
    }

    /// <summary>A progress bar per child for the distillation and image runs.</summary>
    static Func<string, Action<IProgress<StepMetrics>>, int> ChildProgress(CliIo io, bool quiet, int steps) => (name, run) =>
        Progress.RunWithStatus(io, quiet, steps, 0, report =>
        {
            run(new StepReporter(row => report(row.Step, Describe(name, row, steps))));
            return 0;
        });

    static string Describe(string init, StepMetrics row, int total)
    {
        var c = CultureInfo.InvariantCulture;
        string text = $"{init}: step {row.Step}/{total}";
        if (row.TrainLoss is double loss) text += string.Format(c, " loss {0:F3}", loss);
        if (row.ValLoss is double val) text += string.Format(c, " val {0:F3}", val);
        return text;
    }

    sealed class StepReporter(Action<StepMetrics> report) : IProgress<StepMetrics>
    {
        public void Report(StepMetrics value) => report(value);
    }
}
