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
        var inits = new Option<string>("--inits") { Description = "Comma-separated: subclone, subclone+distill (also learns the parent's outputs), subclone-noscale, uniform, first, random", DefaultValueFactory = _ => "subclone,uniform,random" };
        var lrGrid = new Option<string?>("--lr-grid") { Description = "Comma-separated peak learning rates: every init is trained at each and compared at its best (by final validation value), beside the presets" };
        var wdGrid = new Option<string?>("--wd-grid") { Description = "Comma-separated weight decays to sweep like --lr-grid (with it: every pair)" };
        var seeds = new Option<int>("--seeds") { Description = "Seeds per run (sampler and initialisation: --seed, --seed+1, …); summary.json gives mean, min and max", DefaultValueFactory = _ => 1 };
        var budgets = new Option<string?>("--budgets") { Description = "Comma-separated multiples of --steps (e.g. 1,2,4): the speed-up at each, every init at its chosen point" };
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
            parentArg, data, output, inits, lrGrid, wdGrid, seeds, budgets, subcloneLr, subcloneWd, randomLr, randomWd, cache, tokenizerOption, force, json, valData,
        };
        training.AddTo(command);
        shape.AddTo(command);
        command.SetAction(r => io.Guard(() =>
        {
            bool quiet = r.GetValue(json);
            string outDir = Path.GetFullPath(r.GetValue(output)!);
            if (Directory.Exists(outDir) && !r.GetValue(force)) throw new UserInputException($"{outDir} already exists (pass --force to replace it)");
            // The new options are checked before the parent is loaded: a typo costs nothing.
            var initList = r.GetValue(inits)!.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(ChildInits.Parse).Distinct().ToList();
            var sweep = new ComparisonSweep
            {
                LearningRates = r.GetValue(lrGrid) is string lrs ? ComparisonSweep.ParseList("--lr-grid", lrs) : null,
                WeightDecays = r.GetValue(wdGrid) is string wds ? ComparisonSweep.ParseList("--wd-grid", wds) : null,
                Seeds = r.GetValue(seeds),
                Budgets = r.GetValue(budgets) is string b ? ComparisonSweep.ParseList("--budgets", b) : null,
            };
            var budget = training.Over(r, training.Defaults) with { Seed = r.GetValue(shape.Seed), SaveEvery = 0 };
            sweep.Validate(budget.Steps);
            var parent = io.LoadModel(r, r.GetValue(parentArg)!);
            var target = shape.Target(r, parent.Model.Config);
            target.Apply(parent.Model.Config);  // an impossible shape fails before any work
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
                Target = target, Inits = initList, Cloning = shape.Options(r), Presets = presets, Training = budget, Sweep = sweep,
            };
            var inputs = new ComparisonData
            {
                Paths = r.GetValue(data) ?? [], ValidationImages = r.GetValue(valData), TokenizerPath = r.GetValue(tokenizerOption), Cache = r.GetValue(cache),
            };
            ComparisonOutcome outcome;
            try
            {
                outcome = Comparison.RunFor(parent, inputs, plan, outDir, Progress.Status(io, quiet),
                    (label, steps, run) => Output.Training(io, quiet, label, steps, 0, run), io.Interrupt);
            }
            catch (OperationCanceledException) when (io.Interrupt.IsCancellationRequested)
            {
                // Ctrl+C: a comparison without every run has no result; what it wrote goes with it.
                if (Directory.Exists(outDir)) Directory.Delete(outDir, recursive: true);
                throw;
            }
            string distilled = parent.Model.Config.Family.Kind == FamilyKind.Encoder ? " (distilled)" : "";
            ComparisonReport.Write(outcome, outDir, $"{Path.GetFileName(parent.Origin.TrimEnd('/'))} → {outcome.Preset.ChildShape}{distilled}");
            Print(io, outcome, quiet, outDir);
            return 0;
        }));
        return command;
    }

    static void Print(CliIo io, ComparisonOutcome outcome, bool quiet, string outDir)
    {
        var summary = outcome.ToJson();
        if (quiet) { io.WriteJson(summary); return; }
        var console = Output.Console(io);
        var preset = outcome.Preset;
        console.Write(Table($"{preset.ChildShape}, {preset.Steps} steps, presets", summary["inits"]!.AsObject(), preset.Unit));
        if (summary["best"] is { } best)
            console.Write(Table($"each init at its best grid point", best["inits"]!.AsObject(), preset.Unit));
        foreach (var b in summary["budgets"]?.AsArray() ?? [])
            console.Write(Table($"{b!["budget"]}× budget ({b["steps"]} steps)", b["inits"]!.AsObject(), preset.Unit));
        foreach (var choice in outcome.Grid.Where(c => c.Edge is not null))
            console.MarkupLine($"[yellow]{Markup.Escape($"{choice.Init}: the best point (lr {choice.Best.LearningRate:G3}, wd {choice.Best.WeightDecay:G3}) is the {choice.Edge}; the optimum may lie beyond the grid")}[/]");
        console.MarkupLine($"[grey]{Markup.Escape(preset.Metric)}; figures are mean [[min–max]] over seeds[/]");
        console.MarkupLine($"Wrote [bold]{Markup.Escape(outDir)}[/]: metrics.csv, loss.png, summary.json, and each child's run.");
    }

    static Table Table(string title, JsonObject inits, string unit)
    {
        static string S(JsonNode? figure) => figure is null ? "-"
            : (double)figure["min"]! == (double)figure["max"]! ? $"{figure["mean"]}" : $"{figure["mean"]} [{figure["min"]}–{figure["max"]}]";
        var table = new Table().Border(TableBorder.Rounded).Title(Markup.Escape(title))
            .AddColumn("init").AddColumn("lr / wd").AddColumn("at init").AddColumn("final").AddColumn("steps to random's final").AddColumn("speed-up");
        foreach (var (name, node) in inits)
        {
            int seeds = (int)node!["seeds"]!, reached = (int)node["seeds_reached"]!, atInit = (int)node["seeds_reached_at_init"]!;
            string steps = reached == 0 ? "not reached"
                : S(node["steps_to_random_final"]) + (node["epochs_to_random_final"] is { } epochs ? $" ({S(epochs)} epochs)" : "")
                  + (reached < seeds ? $" ({reached}/{seeds} seeds)" : "");
            string[] cells = [name, $"{node["lr"]} / {node["wd"]}", S(node["init_loss"]), S(node["final_loss"]), steps,
                atInit == seeds ? "at init" : S(node["speedup_vs_random"])];
            table.AddRow([.. cells.Select(Markup.Escape)]);
        }
        return table;
    }
}
