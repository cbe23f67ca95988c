using System.Diagnostics;
using System.Text.Json;
using Spectre.Console;

namespace Subclone.Cli.Commands;

/// <summary>subclone clone PARENT --out DIR (shape) : weight subcloning, written as a Hugging Face directory + clone_map.json.</summary>
public static class CloneCommand
{
    /// <summary>A parent whose float32 weights would take more than this share of the memory available is streamed.</summary>
    public const double StreamingMemoryShare = 0.4;

    sealed record Options(
        Argument<string> Parent, Option<string> Out, Option<string[]> Calib, Option<int> Samples, Option<int> Length,
        Option<string?> RandomIds, Option<string?> Map, Option<string?> Dtype, Option<string> ShardSize, Option<bool> Force,
        Option<bool> Json, Option<bool> RandomInit, Option<bool> Streaming, CloneOptionsBinder Shape);

    public static Command Create(CliIo io)
    {
        var o = new Options(
            new Argument<string>("PARENT") { Description = "Parent model: HF directory, Hub id (org/name[@revision]), llama2.c .bin, or 'minilm'" },
            // Not Required at parse time: `--dry-run` writes nothing and needs no --out; every other run checks it below.
            new Option<string>("--out") { Description = "Directory to write the child to (required unless --dry-run)" },
            new Option<string[]>("--calib") { Description = "Calibration text: files or folders of .txt/.jsonl (default: the .NET SDK's XML API docs)", AllowMultipleArgumentsPerToken = true },
            new Option<int>("--calib-samples") { Description = "Calibration windows (decoders) or sentences (encoders)", DefaultValueFactory = _ => 64 },
            new Option<int>("--calib-length") { Description = "Tokens per calibration window", DefaultValueFactory = _ => 256 },
            new Option<string?>("--calib-random-ids") { Description = "Calibrate on N×T random token ids drawn with --seed instead of text, e.g. 8x128 (for synthetic parents without a tokenizer)" },
            new Option<string?>("--map") { Description = "Replay a clone_map.json instead of calibrating" },
            new Option<string?>("--dtype") { Description = "Stored dtype of the child: f32, f16 or bf16 (default: the parent's)" },
            new Option<string>("--shard-size") { Description = "Largest weight file of the child, e.g. 2GB (Hugging Face's default is 5GB)", DefaultValueFactory = _ => "5GB" },
            new Option<bool>("--force") { Description = "Replace --out if it exists" },
            new Option<bool>("--json") { Description = "Print {\"out\",\"params\",\"init_loss\",\"parent_loss\"}" },
            new Option<bool>("--random-init") { Description = "Baseline: a child of the target shape with Hugging Face's random initialisation (no parent weights)" },
            new Option<bool>("--streaming") { Description = $"Read the parent one block at a time instead of loading it (automatic when its float32 weights exceed {StreamingMemoryShare * 100:F0}% of available memory); skips the held-out evaluation" },
            new CloneOptionsBinder());
        var command = new Command("clone", "Make a smaller (or deeper) child from a pretrained parent by weight subcloning")
            { o.Parent, o.Out, o.Calib, o.Samples, o.Length, o.RandomIds, o.Map, o.Dtype, o.ShardSize, o.Force, o.Json, o.RandomInit, o.Streaming };
        o.Shape.AddTo(command);
        var dryRun = new Option<bool>("--dry-run") { Description = "Report the child's shape, parameter count and kept blocks from the parent's config.json alone; write nothing" };
        command.Options.Add(dryRun);
        command.SetAction(r => io.Guard(() =>
        {
            if (r.GetValue(dryRun)) return CloneDryRun.Run(io, r, o.Shape, o.Map, r.GetValue(o.Parent)!, r.GetValue(o.Json));
            string outDir = r.GetValue(o.Out) ?? throw new UserInputException("clone needs --out DIR (the directory to write the child to), unless --dry-run");
            if (Directory.Exists(outDir) && !r.GetValue(o.Force)) throw new UserInputException($"{outDir} already exists (pass --force to replace it)");
            if (r.GetValue(o.RandomIds) is not null && r.GetValue(o.Calib) is { Length: > 0 })
                throw new UserInputException("give either --calib or --calib-random-ids, not both");
            ByteSize.Parse(r.GetValue(o.ShardSize)!, "--shard-size");  // validate before any work
            string spec = r.GetValue(o.Parent)!;
            var status = Progress.Status(io, r.GetValue(o.Json));
            if (r.GetValue(o.Streaming)) return Streamed(io, r, o, spec, status);
            if (TooLargeForMemory(spec) is string reason)
            {
                status(reason);
                return Streamed(io, r, o, spec, status);
            }
            return InMemory(io, r, o, spec, status);
        }));
        return command;
    }

    /// <summary>Why a directory parent should be streamed, or null when it fits comfortably in memory.</summary>
    static string? TooLargeForMemory(string spec)
    {
        if (!Directory.Exists(spec)) return null;
        using var reader = CheckpointReader.Open(spec);
        long float32Bytes = reader.Parameters.Sum(p => p.ElementCount) * 4;
        long available = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes;
        return float32Bytes > StreamingMemoryShare * available
            ? $"the parent needs {float32Bytes / 1e9:F1} GB as float32, more than {StreamingMemoryShare * 100:F0}% of the {available / 1e9:F1} GB available: streaming it block by block"
            : null;
    }

    static bool NeedsScores(CloneOptions options, bool randomInit) =>
        (options.Selection == Selection.Importance && !randomInit) || options.Depth == DepthStrategy.Influence;

    /// <summary>N×T from --calib-random-ids, or null.</summary>
    static (int Samples, int Length)? RandomIdShape(ParseResult r, Options o)
    {
        if (r.GetValue(o.RandomIds) is not string text) return null;
        var parts = text.Split('x', '×', 'X');
        if (parts.Length == 2 && int.TryParse(parts[0], out int n) && int.TryParse(parts[1], out int t) && n > 0 && t > 0) return (n, t);
        throw new UserInputException($"--calib-random-ids '{text}': expected N×T, e.g. 8x128");
    }

    static CalibrationData Calibration(ParseResult r, Options o, ModelConfig config, Func<Data.Tokenizers.ITextTokenizer?> tokenizer, string origin,
        Action<string> status)
    {
        long seed = r.GetValue(o.Shape.Seed);
        if (RandomIdShape(r, o) is var (n, t)) return CalibrationData.RandomIds(config, n, t, seed);
        status($"reading calibration text ({(r.GetValue(o.Calib) is { Length: > 0 } c ? string.Join(", ", c) : "default corpus")})");
        return CalibrationData.Prepare(tokenizer(), config, origin, r.GetValue(o.Calib) ?? [], r.GetValue(o.Samples), r.GetValue(o.Length), seed);
    }

    static int InMemory(CliIo io, ParseResult r, Options o, string spec, Action<string> status)
    {
        var watch = Stopwatch.StartNew();
        string outDir = r.GetValue(o.Out)!;
        bool json = r.GetValue(o.Json), randomInit = r.GetValue(o.RandomInit);
        var parent = io.LoadModel(r, spec, r.GetValue(o.Json));
        var storeDtype = r.GetValue(o.Dtype) is string d ? SafeTensorsDtype.FromTorchName(d) : parent.StoredDtype;

        CloneMap cloneMap;
        ImportanceScores? scores = null;
        CalibrationData? data = null;
        TransformerModel? randomChild = null;
        if (r.GetValue(o.Map) is string mapPath)
            cloneMap = ReplayedMap(io, mapPath, parent.Model.Config, CloneReport.Fingerprint(parent));
        else
        {
            var options = o.Shape.Options(r);
            var target = o.Shape.Target(r, parent.Model.Config);
            target.Apply(parent.Model.Config);  // validate before any work
            if (NeedsScores(options, randomInit) || json)
                data = Calibration(r, o, parent.Model.Config, () => parent.Tokenizer, parent.Origin, status);
            if (data is not null && NeedsScores(options, randomInit))
                scores = Progress.Run(io, json, "calibration", data.Calibration.Count,
                    p => Calibrator.Measure(parent.Model, data.Calibration, data.Source, r.GetValue(o.Shape.Seed), p, io.Interrupt));
            if (randomInit)
                (randomChild, cloneMap) = RandomChild(parent.Model.Config, target, options, r.GetValue(o.Shape.Seed));
            else
                cloneMap = Subcloner.Plan(parent.Model.Config, target, scores, options);
        }

        io.Interrupt.ThrowIfCancellationRequested();
        var childConfig = randomChild?.Config ?? Subcloner.ChildConfig(parent.Model.Config, cloneMap);
        var report = Indented(CloneReport.Build(parent, childConfig, cloneMap, scores));
        long shardBytes = ByteSize.Parse(r.GetValue(o.ShardSize)!, "--shard-size");
        if (randomChild is not null)
            HfCheckpoint.Save(randomChild, outDir, storeDtype, parent.Directory, overwrite: r.GetValue(o.Force),
                maxShardBytes: shardBytes, extraFiles: [(CloneReport.FileName, report)]);
        else
            // Tensor by tensor from the loaded parent: the whole child never sits beside it (issue 17's memory bound).
            Progress.Run(io, json, "writing the child, tensor by tensor", TransformerModel.ParameterShapes(childConfig, WithOptionalPart(parent.Model)).Count,
                p => Subcloner.Write(parent.Model, cloneMap, outDir, storeDtype, parent.Directory, r.GetValue(o.Force), shardBytes,
                    [(CloneReport.FileName, report)], p));

        // The held-out evaluation needs the child as a model: built only then, after the files are written.
        using var child = data is null ? null : randomChild ?? Subcloner.Apply(parent.Model, cloneMap);
        var summary = new JsonObject { ["out"] = Path.GetFullPath(outDir), ["params"] = child?.ParameterCount() ?? childConfig.Family.ParameterCount(childConfig, WithOptionalPart(parent.Model)), ["parent_params"] = parent.Model.ParameterCount() };
        if (data is not null && child is not null)
        {
            status("evaluating on held-out data");
            if (child.Config.Family.Kind == FamilyKind.ImageClassifier)
            {
                summary["init_accuracy"] = Evaluation.Accuracy(child, data.HeldOut);
                summary["parent_accuracy"] = Evaluation.Accuracy(parent.Model, data.HeldOut);
            }
            else if (child.Config.IsDecoder)
            {
                summary["init_loss"] = Evaluation.LanguageModelLoss(child, data.HeldOut);
                summary["parent_loss"] = Evaluation.LanguageModelLoss(parent.Model, data.HeldOut);
            }
            else
            {
                summary["init_cosine"] = Evaluation.EmbeddingCosine(child, parent.Model, data.HeldOut, cloneMap.ResidualDims);
                summary["parent_cosine"] = 1.0;
            }
        }
        summary["seconds"] = Math.Round(watch.Elapsed.TotalSeconds, 2);
        Print(io, json, summary);
        return 0;
    }

    /// <summary>
    /// The parent is never loaded whole: calibration runs it one block at a time and the child is cut from it one
    /// tensor at a time (<see cref="StreamingCloner"/>). The files equal the in-memory path's; the held-out
    /// evaluation, which would need the whole parent, is skipped.
    /// </summary>
    static int Streamed(CliIo io, ParseResult r, Options o, string spec, Action<string> status)
    {
        var watch = Stopwatch.StartNew();
        if (!Directory.Exists(spec)) throw new UserInputException($"{spec}: --streaming reads a Hugging Face model directory");
        string outDir = r.GetValue(o.Out)!;
        bool json = r.GetValue(o.Json), randomInit = r.GetValue(o.RandomInit);
        long seed = r.GetValue(o.Shape.Seed), shardBytes = ByteSize.Parse(r.GetValue(o.ShardSize)!, "--shard-size");
        using var reader = CheckpointReader.Open(spec);
        var config = reader.Config;
        var storeDtype = r.GetValue(o.Dtype) is string d ? SafeTensorsDtype.FromTorchName(d) : reader.StoredDtype;

        CloneMap cloneMap;
        ImportanceScores? scores = null;
        TransformerModel? randomChild = null;
        var phases = new JsonObject();
        var phase = Stopwatch.StartNew();
        void EndPhase(string name)
        {
            phases[name] = Math.Round(phase.Elapsed.TotalSeconds, 2);
            phase.Restart();
        }
        if (r.GetValue(o.Map) is string mapPath)
        {
            cloneMap = ReplayedMap(io, mapPath, config, CloneReport.Fingerprint(spec));
        }
        else
        {
            var options = o.Shape.Options(r);
            var target = o.Shape.Target(r, config);
            var childShape = target.Apply(config);  // validate before any work
            if (NeedsScores(options, randomInit))
            {
                BlockwiseForward.For(config);  // a family without a blockwise pass is refused before its calibration data is read
                var data = Calibration(r, o, config, () => ModelSource.TokenizerFor(spec, config), spec, status);
                scores = Progress.Run(io, json, "calibration, block by block", config.Layers + 1,
                    p => StreamingCloner.Measure(reader, data.Calibration, data.Source, seed, p));
                EndPhase("calibration");
            }
            if (randomInit) (randomChild, cloneMap) = RandomChild(config, target, options, seed);
            else cloneMap = ClonePlanner.Plan(config, childShape, scores, options);
        }

        var childConfig = Subcloner.ChildConfig(config, cloneMap);
        status("fingerprinting the parent");
        string report = Indented(CloneReport.Build(spec, CloneReport.Fingerprint(spec), config, childConfig, cloneMap, scores));
        EndPhase("fingerprint");
        if (randomChild is not null)
            HfCheckpoint.Save(randomChild, outDir, storeDtype, spec, overwrite: r.GetValue(o.Force), maxShardBytes: shardBytes,
                extraFiles: [(CloneReport.FileName, report)]);
        else
            Progress.Run(io, json, "writing the child, tensor by tensor", TransformerModel.ParameterShapes(childConfig, reader.HasPooler).Count,
                p => StreamingCloner.Write(reader, cloneMap, outDir, storeDtype, r.GetValue(o.Force), shardBytes, [(CloneReport.FileName, report)], p));
        EndPhase("write");

        var summary = new JsonObject
        {
            ["out"] = Path.GetFullPath(outDir),
            ["params"] = TransformerModel.ParameterShapes(childConfig, reader.HasPooler).Sum(p => p.ElementCount),
            ["parent_params"] = reader.Parameters.Sum(p => p.ElementCount),
            ["streaming"] = true,
            ["note"] = "streamed: the held-out evaluation (init_loss / init_cosine) needs the whole parent and was skipped",
            ["seconds"] = Math.Round(watch.Elapsed.TotalSeconds, 2),
            ["phase_seconds"] = phases,
        };
        Print(io, json, summary);
        return 0;
    }

    /// <summary>The --map to replay, checked against the parent (format, architecture, shape, target); other weights of the same shape warn.</summary>
    static CloneMap ReplayedMap(CliIo io, string path, ModelConfig parent, string fingerprint)
    {
        var (map, warning) = CloneReport.ReadMap(path, parent, fingerprint);
        if (warning is not null) io.Error.WriteLine($"subclone: warning: {warning}");
        return map;
    }

    /// <summary>The --random-init baseline: a child of the target shape drawn from a generator seeded with <paramref name="seed"/>
    /// alone (not torch's global one, which anything else running in the process may draw from too).</summary>
    static (TransformerModel Child, CloneMap Map) RandomChild(ModelConfig parent, CloneTarget target, CloneOptions options, long seed)
    {
        var shape = target.Apply(parent);
        ModelBudget.RequireMemory(shape, "the --random-init child");
        // Its own generator, not torch's global one: a command running beside others (the test suite) stays deterministic.
        var child = TransformerModel.Create(shape, seed);
        // A random child keeps no parent coordinates; the map records its shape only (first-k indices).
        var map = ClonePlanner.Plan(parent, shape, null, options with { Selection = Selection.First }) with { Selection = "random-init" };
        return (child, map);
    }

    /// <summary>Whether the model has its family's optional part (a pooler), as its child will.</summary>
    static bool WithOptionalPart(TransformerModel model) => model.Config.Family.HasOptionalPart(model.state_dict().Keys);

    static string Indented(JsonObject json) => json.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n";

    static void Print(CliIo io, bool json, JsonObject summary) => Output.KeyValues(io, json, summary);
}
