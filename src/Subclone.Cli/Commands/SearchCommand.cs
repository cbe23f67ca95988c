using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Spectre.Console;
using Subclone.Data;
using Subclone.Data.Tokenizers;
using Subclone.Reports;
using Subclone.Search;

namespace Subclone.Cli.Commands;

/// <summary>
/// subclone search PARENT (--params N | --flops N) --out DIR: which uniform child shape to cut for a budget. Every
/// legal grid shape within ±5% of the budget is cut from one calibration pass and scored at init; the best --top are
/// trained for --probe-steps on the same batches and ranked by their validation value after it. Writes search.json,
/// search.png and the winner as clone writes it (DIR/child with clone_map.json).
/// </summary>
public static class SearchCommand
{
    /// <summary>Where the winner goes inside --out.</summary>
    public const string ChildDirectory = "child";

    sealed record Options(
        Argument<string> Parent, Option<string> Out, Option<string?> Params, Option<string?> Flops, Option<string[]> Data, Option<string[]> Calib,
        Option<int> Candidates, Option<int> Top, Option<int> ProbeSteps, Option<string> LrGrid, Option<double> Wd, Option<int> Batch, Option<int> Seq,
        Option<int> EvalBatches, Option<int?> Warmup, Option<long> Seed, Option<string?> Cache, Option<string?> Tokenizer, Option<bool> Force, Option<bool> Json);

    public static Command Create(CliIo io)
    {
        var o = new Options(
            new Argument<string>("PARENT") { Description = "Parent model: HF directory, Hub id (org/name[@revision]), llama2.c .bin, or 'minilm' (decoders and BERT)" },
            new Option<string>("--out") { Description = "Directory for search.json, search.png and the winning child (DIR/child, as clone writes it)", Required = true },
            new Option<string?>("--params") { Description = "Budget: the child's parameters, e.g. 40M (candidates within ±5%)" },
            new Option<string?>("--flops") { Description = "Budget: the child's estimated inference FLOPs per token at --seq tokens of context, e.g. 2G (±5%)" },
            new Option<string[]>("--data") { Description = "Text the candidates are scored and probed on: files or folders of .txt/.jsonl (default: the .NET SDK's XML API docs)", AllowMultipleArgumentsPerToken = true },
            new Option<string[]>("--calib") { Description = "Calibration text for the one importance pass (default: windows of --data's training split)", AllowMultipleArgumentsPerToken = true },
            new Option<int>("--candidates") { Description = "At most this many shapes are scored at init (the grid's shapes within the budget, thinned evenly)", DefaultValueFactory = _ => 24 },
            new Option<int>("--top") { Description = "The best this many at init are probed (trained)", DefaultValueFactory = _ => 3 },
            new Option<int>("--probe-steps") { Description = "Training steps of each probe", DefaultValueFactory = _ => 100 },
            new Option<string>("--lr-grid") { Description = "Learning rates tried on the first probed candidate; the best is used for the others", DefaultValueFactory = _ => "1e-4,3e-4,1e-3" },
            new Option<double>("--wd") { Description = "AdamW weight decay of the probes (the paper's for subcloned children)", DefaultValueFactory = _ => 0.001 },
            new Option<int>("--batch") { Description = "Sequences per probe step", DefaultValueFactory = _ => 8 },
            new Option<int>("--seq") { Description = "Tokens per sequence (also the context the FLOPs are counted at)", DefaultValueFactory = _ => 128 },
            new Option<int>("--eval-batches") { Description = "Batches in the fixed validation set every candidate is scored on", DefaultValueFactory = _ => 8 },
            new Option<int?>("--warmup") { Description = "Linear warmup steps of a probe (default: 10% of --probe-steps)" },
            new Option<long>("--seed") { Description = "Seed for calibration windows, batches and validation", DefaultValueFactory = _ => 0 },
            new Option<string?>("--cache") { Description = "Token cache directory" },
            new Option<string?>("--tokenizer") { Description = "Tokenizer for the text (default: the parent's)" },
            new Option<bool>("--force") { Description = "Replace --out if it exists" },
            new Option<bool>("--json") { Description = "Print search.json" });
        var command = new Command("search", "Search the child's shape (depth, width, heads, FFN) for a parameter or FLOP budget: scored at init, the best probed by training")
        {
            o.Parent, o.Out, o.Params, o.Flops, o.Data, o.Calib, o.Candidates, o.Top, o.ProbeSteps, o.LrGrid, o.Wd, o.Batch, o.Seq, o.EvalBatches, o.Warmup,
            o.Seed, o.Cache, o.Tokenizer, o.Force, o.Json,
        };
        command.SetAction(r => io.Guard(() => Run(io, r, o)));
        return command;
    }

    static int Run(CliIo io, ParseResult r, Options o)
    {
        var watch = Stopwatch.StartNew();
        bool quiet = r.GetValue(o.Json);
        string outDir = Path.GetFullPath(r.GetValue(o.Out)!);
        if (Directory.Exists(outDir) && !r.GetValue(o.Force)) throw new UserInputException($"{outDir} already exists (pass --force to replace it)");
        if ((r.GetValue(o.Params) is null) == (r.GetValue(o.Flops) is null)) throw new UserInputException("give the budget as --params or as --flops (one of them)");
        var learningRates = Training.ComparisonSweep.ParseList("--lr-grid", r.GetValue(o.LrGrid)!);
        foreach (double lr in learningRates)
            if (!(lr > 0 && lr <= 10)) throw new UserInputException($"--lr-grid: {lr} is not a learning rate (positive, at most 10)");
        var probe = new Training.TrainingOptions
        {
            Steps = r.GetValue(o.ProbeSteps), BatchSize = r.GetValue(o.Batch), SequenceLength = r.GetValue(o.Seq), EvalBatches = r.GetValue(o.EvalBatches),
            WarmupSteps = r.GetValue(o.Warmup), WeightDecay = r.GetValue(o.Wd), Seed = r.GetValue(o.Seed), LearningRate = learningRates[0],
            EvalEvery = r.GetValue(o.ProbeSteps),
        };
        probe.Validate();
        var budget = r.GetValue(o.Params) is string p
            ? new SearchBudget(BudgetKind.Parameters, Cloning.CloneTarget.ParseCount(p), probe.SequenceLength)
            : new SearchBudget(BudgetKind.Flops, Cloning.CloneTarget.ParseCount(r.GetValue(o.Flops)!), probe.SequenceLength);

        var parent = io.LoadModel(r, r.GetValue(o.Parent)!, quiet);
        var config = parent.Model.Config;
        if (config.Family.Kind == FamilyKind.ImageClassifier)
            throw new UserInputException($"{r.GetValue(o.Parent)}: search scores decoders and BERT encoders; {config.ArchitectureName} is an image model (use clone and compare)");
        var space = ShapeSpace.Enumerate(config, budget, r.GetValue(o.Candidates));
        var plan = new SearchPlan { Space = space, Budget = budget, Probe = probe, Top = r.GetValue(o.Top), LearningRates = learningRates };
        var status = Progress.Status(io, quiet);
        status($"{space.Candidates.Count} candidates ({space.WithinBudget} of {space.Counted} grid shapes within {budget})");

        using var data = Prepare(io, r, o, parent, probe, status);
        var outcome = Progress.RunWithStatus(io, quiet, ShapeSearch.Units(plan), 0, report =>
            ShapeSearch.Run(parent.Model, data, plan, new SyncProgress(s => report(s.Done, s.Text)), status, io.Interrupt));

        // Every probe diverging is the learning-rate grid's fault: refused like bad input, before anything is written.
        if (!outcome.Interrupted && outcome.Winner is null)
            throw new UserInputException($"--lr-grid {r.GetValue(o.LrGrid)}: every probe diverged, so there is no winner; try lower learning rates");
        string? winnerDir = outcome.Interrupted || outcome.Winner is null ? null : Path.Combine(outDir, ChildDirectory);
        var json = outcome.ToJson(parent.Origin, parent.Model.ParameterCount(), winnerDir);
        json["seconds"] = Math.Round(watch.Elapsed.TotalSeconds, 2);
        status(outcome.Interrupted ? "writing what was measured" : "writing the search and the winning child");
        Write(outDir, r.GetValue(o.Force), staging =>
        {
            AtomicFile.WriteAllText(Path.Combine(staging, "search.json"), FiniteJson.Of(json).ToJsonString(Indented) + "\n");
            SearchPlot.Write(outcome, Path.Combine(staging, "search.png"), $"{Path.GetFileName(parent.Origin.TrimEnd('/'))}: shapes within {budget}");
            if (winnerDir is not null)
            {
                var (child, map) = ShapeSearch.Cut(parent.Model, outcome.Winner!.Candidate, outcome.Scores, plan.Cloning);
                var report = CloneReport.Build(parent, child.Config, map, outcome.Scores);
                HfCheckpoint.Save(child, Path.Combine(staging, ChildDirectory), parent.StoredDtype, parent.Directory,
                    extraFiles: [(CloneReport.FileName, report.ToJsonString(Indented) + "\n")]);
                child.Dispose();
            }
        });
        Print(io, quiet, outcome, json, outDir);
        if (outcome.Interrupted) return io.Finish(true, $"kept what was measured in {Path.Combine(outDir, "search.json")} (no child written)");
        return 0;
    }

    /// <summary>The data every candidate is measured on: the token file of --data (decoders) or its sentences (BERT),
    /// and the calibration batches (--calib, or the training split's).</summary>
    static SearchData Prepare(CliIo io, ParseResult r, Options o, ModelSource parent, Training.TrainingOptions probe, Action<string> status)
    {
        var config = parent.Model.Config;
        var paths = r.GetValue(o.Data) ?? [];
        string source = paths.Length == 0 ? "the default corpus" : string.Join(", ", paths);
        var tokenizer = r.GetValue(o.Tokenizer) is string path
            ? TokenizerResolver.CheckFits(TokenizerResolver.Load(path, config.Vocab), config, path)
            : parent.Tokenizer ?? throw new UserInputException($"{parent.Origin} has no tokenizer to read the text with; pass --tokenizer");
        List<ModelBatch>? calibration = null;
        string? calibSource = null;
        if (r.GetValue(o.Calib) is { Length: > 0 } calib)
        {
            status($"reading calibration text ({string.Join(", ", calib)})");
            var prepared = CalibrationData.Prepare(tokenizer, config, parent.Origin, calib, 64, probe.SequenceLength, probe.Seed);
            foreach (var held in prepared.HeldOut) held.Dispose();
            (calibration, calibSource) = (prepared.Calibration, prepared.Source);
        }
        status($"reading {source}");
        if (config.Family.Kind == FamilyKind.Encoder)
        {
            if (tokenizer is not IEncoderTokenizer encoder) throw new UserInputException($"{parent.Origin} has no encoder tokenizer (vocab.txt)");
            return SearchData.Encoder(parent.Model, encoder, TextCorpus.Load(paths), probe, calibration, calibSource);
        }
        var tokens = TokenCache.Open(paths, tokenizer, r.GetValue(o.Cache), status: status);
        return SearchData.Decoder(tokens, probe, calibration, calibSource, ownsTokens: true);
    }

    /// <summary>The staging directory is written in full, then renamed to --out (replacing it with --force), so
    /// nothing half-written is ever at --out; a failure removes the staging directory.</summary>
    static void Write(string outDir, bool force, Action<string> write)
    {
        string staging = $"{outDir}.tmp-{Guid.NewGuid().ToString("N")[..8]}";
        Directory.CreateDirectory(staging);
        try
        {
            write(staging);
            if (Directory.Exists(outDir) && force) Directory.Delete(outDir, recursive: true);
            Directory.Move(staging, outDir);
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, recursive: true);
        }
    }

    static void Print(CliIo io, bool quiet, SearchOutcome outcome, JsonObject json, string outDir)
    {
        if (quiet) { io.WriteJson(json); return; }
        var c = CultureInfo.InvariantCulture;
        var console = Output.Console(io);
        // Off a terminal Spectre assumes 80 columns, which folds every cell of a table this wide; a log file can be wider.
        if (!console.Profile.Capabilities.Interactive) console.Profile.Width = Math.Max(console.Profile.Width, 150);
        var table = new Table().Border(TableBorder.Rounded)
            .Title(Markup.Escape($"{outcome.Plan.Space.Candidates.Count} shapes within {outcome.Plan.Budget}; {outcome.Metric.Description}"))
            .AddColumn("rank").AddColumn("hidden").AddColumn("layers").AddColumn("heads").AddColumn("ffn").AddColumn("kept blocks")
            .AddColumn("params").AddColumn("FLOPs/token")
            .AddColumn("at init").AddColumn($"after {outcome.Plan.Probe.Steps} steps").AddColumn("time");
        var ranked = outcome.Ranked;
        for (int i = 0; i < ranked.Count; i++)
        {
            var x = ranked[i];
            var shape = x.Candidate.Config;
            string[] cells = [(x.InitLoss is null ? "-" : $"{i + 1}") + (x.Candidate.IsParamsShape ? " (--params)" : ""), $"{shape.Hidden}", $"{shape.Layers}",
                $"{shape.Heads}/{shape.KvHeads}", $"{shape.Ffn}", string.Join(",", x.KeptLayers), x.Candidate.Parameters.ToString("N0", c),
                x.Candidate.FlopsPerToken.ToString("N0", c), x.InitLoss?.ToString("F4", c) ?? "-",
                x.Diverged ? "diverged" : x.ProbeLoss?.ToString("F4", c) ?? "-", $"{x.Seconds.ToString("F1", c)} s"];
            table.AddRow([.. cells.Select(Markup.Escape)]);
        }
        console.Write(table);
        if (outcome.LearningRate is double lr) console.MarkupLine(Markup.Escape($"probe learning rate {lr:G3}, chosen on the first probed shape from {string.Join(", ", outcome.LearningRateGrid.Select(g => $"{g.Lr:G3}: {(g.Loss is double l ? l.ToString("F4", c) : "diverged")}"))}"));
        if (outcome.Winner is { } w && !outcome.Interrupted)
            console.MarkupLine($"Winner [bold]{Markup.Escape(w.Candidate.Shape)}[/] ({Markup.Escape(w.Candidate.CloneArguments)} --depth influence). Wrote [bold]{Markup.Escape(outDir)}[/]: search.json, search.png, {ChildDirectory}/.");
        else console.MarkupLine($"Wrote [bold]{Markup.Escape(outDir)}[/]: search.json, search.png.");
    }

    static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    sealed class SyncProgress(Action<SearchProgress> report) : IProgress<SearchProgress>
    {
        public void Report(SearchProgress value) => report(value);
    }
}
