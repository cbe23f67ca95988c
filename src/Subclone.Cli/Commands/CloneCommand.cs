using System.CommandLine;
using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;
using Subclone.Checkpoints;
using Subclone.Cloning;
using Subclone.Training;

namespace Subclone.Cli.Commands;

/// <summary>subclone clone PARENT --out DIR (shape) : weight subcloning, written as a Hugging Face directory + clone_map.json.</summary>
public static class CloneCommand
{
    public static Command Create(CliIo io)
    {
        var parentArg = new Argument<string>("PARENT") { Description = "Parent model: HF directory, Hub id (org/name[@revision]), llama2.c .bin, or 'minilm'" };
        var output = new Option<string>("--out") { Description = "Directory to write the child to", Required = true };
        var calib = new Option<string[]>("--calib") { Description = "Calibration text: files or folders of .txt/.jsonl (default: the .NET SDK's XML API docs)", AllowMultipleArgumentsPerToken = true };
        var samples = new Option<int>("--calib-samples") { Description = "Calibration windows (decoders) or sentences (encoders)", DefaultValueFactory = _ => 64 };
        var length = new Option<int>("--calib-length") { Description = "Tokens per calibration window", DefaultValueFactory = _ => 256 };
        var map = new Option<string?>("--map") { Description = "Replay a clone_map.json instead of calibrating" };
        var dtype = new Option<string?>("--dtype") { Description = "Stored dtype of the child: f32, f16 or bf16 (default: the parent's)" };
        var force = new Option<bool>("--force") { Description = "Replace --out if it exists" };
        var json = new Option<bool>("--json") { Description = "Print {\"out\",\"params\",\"init_loss\",\"parent_loss\"}" };
        var randomInit = new Option<bool>("--random-init") { Description = "Baseline: a child of the target shape with Hugging Face's random initialisation (no parent weights)" };
        var shape = new CloneOptionsBinder();
        var command = new Command("clone", "Make a smaller (or deeper) child from a pretrained parent by weight subcloning") { parentArg, output, calib, samples, length, map, dtype, force, json, randomInit };
        shape.AddTo(command);
        command.SetAction(r => io.Guard(() =>
        {
            string outDir = r.GetValue(output)!;
            if (Directory.Exists(outDir) && !r.GetValue(force)) throw new UserInputException($"{outDir} already exists (pass --force to replace it)");
            var watch = Stopwatch.StartNew();
            var parent = io.LoadModel(r, r.GetValue(parentArg)!, r.GetValue(json));
            var storeDtype = r.GetValue(dtype) is string d ? SafeTensorsDtype.FromTorchName(d) : parent.StoredDtype;
            var status = Progress.Status(io, r.GetValue(json));

            CloneMap cloneMap;
            ImportanceScores? scores = null;
            CalibrationData? data = null;
            Subclone.Models.TransformerModel child;
            if (r.GetValue(map) is string mapPath)
            {
                cloneMap = CloneReport.ReadMap(mapPath);
                cloneMap.Validate(parent.Model.Config, mapPath);
                child = Subcloner.Apply(parent.Model, cloneMap);
            }
            else
            {
                var options = shape.Options(r);
                var target = shape.Target(r, parent.Model.Config);
                target.Apply(parent.Model.Config);  // validate before any work
                if ((options.Selection == Selection.Importance && !r.GetValue(randomInit)) || options.Depth == DepthStrategy.Influence || r.GetValue(json))
                {
                    status($"reading calibration text ({(r.GetValue(calib) is { Length: > 0 } c ? string.Join(", ", c) : "default corpus")})");
                    data = CalibrationData.Prepare(parent, r.GetValue(calib) ?? [], r.GetValue(samples), r.GetValue(length), r.GetValue(shape.Seed));
                }
                if (data is not null && ((options.Selection == Selection.Importance && !r.GetValue(randomInit)) || options.Depth == DepthStrategy.Influence))
                    scores = Progress.Run(io, r.GetValue(json), "calibration", data.Calibration.Count,
                        p => Calibrator.Measure(parent.Model, data.Calibration, data.Source, r.GetValue(shape.Seed), p, io.Interrupt));
                if (r.GetValue(randomInit))
                {
                    var shape2 = target.Apply(parent.Model.Config);
                    child = Subclone.Models.TransformerModel.Create(shape2, r.GetValue(shape.Seed));
                    // A random child keeps no parent coordinates; the map records its shape only (first-k indices).
                    cloneMap = ClonePlanner.Plan(parent.Model.Config, shape2, null, options with { Selection = Selection.First }) with { Selection = "random-init" };
                }
                else
                {
                    var result = Subcloner.Clone(parent.Model, target, scores, options);
                    (child, cloneMap) = (result.Child, result.Map);
                }
            }

            io.Interrupt.ThrowIfCancellationRequested();
            status("writing the child");
            var report = CloneReport.Build(parent, child.Config, cloneMap, scores);
            HfCheckpoint.Save(child, outDir, storeDtype, parent.Directory, overwrite: r.GetValue(force),
                extraFiles: [(CloneReport.FileName, report.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n")]);

            var summary = new JsonObject { ["out"] = Path.GetFullPath(outDir), ["params"] = child.ParameterCount(), ["parent_params"] = parent.Model.ParameterCount() };
            if (data is not null)
            {
                status("evaluating on held-out text");
                if (child.Config.Architecture == Subclone.Models.Architecture.Vit)
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
            if (r.GetValue(json)) io.WriteJson(summary);
            else
            {
                var table = new Table().AddColumn("").AddColumn("").HideHeaders().Border(TableBorder.Rounded);
                foreach (var (k, v) in summary) table.AddRow(k, Markup.Escape(v?.ToString() ?? ""));
                InfoCommand.Console(io).Write(table);
            }
            return 0;
        }));
        return command;
    }
}
