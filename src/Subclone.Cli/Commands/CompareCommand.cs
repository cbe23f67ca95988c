using Spectre.Console;
using Subclone.Reports;

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
        var training = TrainingOptionsBinder.ForCompare();
        var command = new Command("compare", "Train the same child from subcloned, baseline and random starts and measure the speed-up")
        {
            parentArg, data, output, inits, subcloneLr, subcloneWd, randomLr, randomWd, cache, tokenizerOption, force, json, valData,
        };
        training.AddTo(command);
        shape.AddTo(command);
        command.SetAction(r => io.Guard(() =>
        {
            bool quiet = r.GetValue(json);
            string outDir = Path.GetFullPath(r.GetValue(output)!);
            if (Directory.Exists(outDir) && !r.GetValue(force)) throw new UserInputException($"{outDir} already exists (pass --force to replace it)");
            var parent = io.LoadModel(r, r.GetValue(parentArg)!);
            var target = shape.Target(r, parent.Model.Config);
            target.Apply(parent.Model.Config);  // an impossible shape fails before any work
            var initList = r.GetValue(inits)!.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(ChildInits.Parse).Distinct().ToList();
            bool vit = parent.Model.Config.Family.Kind == FamilyKind.ImageClassifier;
            var presets = initList.ToDictionary(init => init, init =>
            {
                var (lr, wd) = vit ? ChildInits.PaperVitPreset(init) : ChildInits.PaperPreset(init);
                return init == ChildInit.Random
                    ? (r.GetValue(randomLr) ?? lr, r.GetValue(randomWd) ?? wd)
                    : (r.GetValue(subcloneLr) ?? lr, r.GetValue(subcloneWd) ?? wd);
            });
            var plan = new ComparisonPlan
            {
                Target = target, Inits = initList, Cloning = shape.Options(r), Presets = presets,
                Training = training.Over(r, training.Defaults) with { Seed = r.GetValue(shape.Seed), SaveEvery = 0 },
            };
            var inputs = new ComparisonData
            {
                Paths = r.GetValue(data) ?? [], ValidationImages = r.GetValue(valData), TokenizerPath = r.GetValue(tokenizerOption), Cache = r.GetValue(cache),
            };
            ComparisonResult result;
            try
            {
                result = Comparison.RunFor(parent, inputs, plan, outDir, Progress.Status(io, quiet),
                    (name, run) => Output.Training(io, quiet, name, plan.Training.Steps, 0, run), io.Interrupt);
            }
            catch (OperationCanceledException) when (io.Interrupt.IsCancellationRequested)
            {
                // Ctrl+C: a comparison without every run has no result; what it wrote goes with it.
                if (Directory.Exists(outDir)) Directory.Delete(outDir, recursive: true);
                throw;
            }
            string distilled = parent.Model.Config.Family.Kind == FamilyKind.Encoder ? " (distilled)" : "";
            ComparisonReport.Write(result, outDir, $"{Path.GetFileName(parent.Origin.TrimEnd('/'))} → {result.ChildShape}{distilled}");
            Print(io, result, plan.Training.Steps, quiet, outDir);
            return 0;
        }));
        return command;
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
        var console = Output.Console(io);
        console.Write(table);
        console.MarkupLine($"[grey]{Markup.Escape(result.Metric)}[/]");
        console.MarkupLine($"Wrote [bold]{Markup.Escape(outDir)}[/]: metrics.csv, loss.png, summary.json, and each child's run.");
    }
}
