
namespace Subclone.Cli.Commands;

/// <summary>subclone rank PARENT --out importance.json: the importance scores a clone would use, with a heat map.</summary>
public static class RankCommand
{
    public static Command Create(CliIo io)
    {
        var parentArg = new Argument<string>("PARENT") { Description = "Parent model: HF directory, Hub id (org/name[@revision]), llama2.c .bin, or 'minilm'" };
        var output = new Option<string>("--out") { Description = "importance.json to write (a .png heat map is written beside it)", Required = true };
        var calib = new Option<string[]>("--calib") { Description = "Calibration text files or folders (default: the .NET SDK's XML API docs)", AllowMultipleArgumentsPerToken = true };
        var samples = new Option<int>("--calib-samples") { DefaultValueFactory = _ => 64, Description = "Calibration windows or sentences" };
        var length = new Option<int>("--calib-length") { DefaultValueFactory = _ => 256, Description = "Tokens per window" };
        var seed = new Option<long>("--seed") { Description = "Sampling seed" };
        var randomIds = new Option<string?>("--calib-random-ids") { Description = "Calibrate on N×T random token ids drawn with --seed instead of text, e.g. 8x128 (for synthetic parents without a tokenizer)" };
        var force = new Option<bool>("--force") { Description = "Replace --out (and its .png) if they exist" };
        var command = new Command("rank", "Measure residual-dim, head, FFN-neuron and block importance on calibration data")
            { parentArg, output, calib, samples, length, seed, randomIds, force };
        command.SetAction(r => io.Guard(() =>
        {
            var parent = io.LoadModel(r, r.GetValue(parentArg)!, quiet: false);
            var data = r.GetValue(randomIds) is string shape
                ? CalibrationData.RandomIds(parent.Model.Config, OptionRules.RandomIds(shape).N, OptionRules.RandomIds(shape).T, r.GetValue(seed))
                : CalibrationData.Prepare(parent, r.GetValue(calib) ?? [], r.GetValue(samples), r.GetValue(length), r.GetValue(seed));
            var scores = Progress.Run(io, false, "calibration", data.Calibration.Count,
                p => Calibrator.Measure(parent.Model, data.Calibration, data.Source, r.GetValue(seed), p));
            string outPath = r.GetValue(output)!;
            AtomicFile.WriteAllText(outPath, scores.ToJson() + "\n");
            string png = Path.ChangeExtension(outPath, ".png");
            Subclone.Reports.ImportancePlots.ResidualHeatMap(scores, png, $"{Path.GetFileName(parent.Origin.TrimEnd('/'))}: residual-dim importance by layer");
            io.Out.WriteLine($"wrote {outPath} and {png}");
            return 0;
        }));
        return command;
    }
}
