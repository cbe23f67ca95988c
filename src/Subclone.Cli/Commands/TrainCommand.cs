using Subclone.Data.Images;

namespace Subclone.Cli.Commands;

/// <summary>
/// subclone train MODEL --data PATH... --out DIR: next-token training of a decoder (a subcloned child, a pretrained
/// model, or --config for a random init) or a ViT on labelled images, with checkpoints in DIR that --resume continues
/// exactly. The run is prepared by <see cref="TrainingRun.Prepare"/>; this binds the options and reports.
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
        var resume = new Option<bool>("--resume") { Description = "Continue the run in --out from its last checkpoint (its options, unless given again)" };
        var force = new Option<bool>("--force") { Description = "Replace --out if it exists" };
        var distill = new Option<string?>("--distill") { Description = "Also learn this parent's next-token distribution (KL at --distill-temperature; same vocabulary)" };
        var json = new Option<bool>("--json") { Description = "Print a JSON summary (steps, losses, tokens, speed)" };
        var valData = new Option<string?>("--val-data") { Description = "ViT: validation images (IDX images file or folder per class; default: a seeded tenth of --data held out)" };
        var cropPadding = new Option<int>("--crop-padding") { Description = "ViT: pad training images by N pixels and crop a random window (a shift of up to ±N)" };
        var flip = new Option<bool>("--flip") { Description = "ViT: mirror training images with probability 1/2" };
        var training = TrainingOptionsBinder.ForTrain();
        var command = new Command("train", "Train a decoder on text (next-token) or a ViT on labelled images (cross-entropy): AdamW, warmup + cosine, checkpoints, metrics, exact resume")
        {
            modelArg, config, tokenizer, data, output, cache, resume, force, json, distill, valData, cropPadding, flip,
        };
        training.AddTo(command);
        command.SetAction(r => io.Guard(() =>
        {
            bool Given(Option option) => TrainingOptionsBinder.Given(r, option);
            bool quiet = r.GetValue(json);
            var request = new TrainingRequest
            {
                OutDir = r.GetValue(output)!, Model = r.GetValue(modelArg), ConfigPath = r.GetValue(config), TokenizerPath = r.GetValue(tokenizer),
                Data = Given(data) ? r.GetValue(data) : null, ValidationData = r.GetValue(valData), Cache = r.GetValue(cache),
                Augmentation = Given(cropPadding) || Given(flip) ? new ImageAugmentation(r.GetValue(cropPadding), r.GetValue(flip)) : null,
                Resume = r.GetValue(resume), Force = r.GetValue(force), Teacher = r.GetValue(distill),
                Options = baseline => training.Over(r, baseline),
            };
            using var run = TrainingRun.Prepare(request, spec => io.LoadModel(r, spec, quiet), Progress.Status(io, quiet));
            var summary = Output.Training(io, quiet, null, run.Loop.Options.Steps, run.Loop.State.Step, p => run.Run(p, io.Interrupt));
            Output.KeyValues(io, quiet, Summary(run, request.OutDir, summary));
            return io.Finish(summary.Stopped, $"stopped at step {summary.Step} with a checkpoint; train --out {request.OutDir} --resume continues");
        }));
        return command;
    }

    /// <summary>The run's summary, its validation values and counts under their own names (val_loss, val_ppl and
    /// tokens for text; val_error, val_accuracy and images for images).</summary>
    static JsonObject Summary(TrainingRun run, string outDir, TrainingSummary summary)
    {
        var metric = summary.Metric;
        var result = new JsonObject
        {
            ["out"] = Path.GetFullPath(outDir),
            ["step"] = summary.Step,
            ["steps_this_run"] = summary.StepsThisRun,
            ["stopped"] = summary.Stopped,
            ["params"] = run.Model.ParameterCount(),
            ["train_loss"] = summary.TrainLoss,
            [$"initial_{metric.Column}"] = summary.InitialValidation,
            [metric.Column] = summary.Validation,
        };
        if (metric.CompanionColumn is string companion) result[companion] = summary.Validation is double v ? metric.Companion(v) : null;
        result[summary.Unit] = summary.Seen;
        result[$"{summary.Unit}_per_s"] = Math.Round(summary.SeenPerSecond, 1);
        result["seconds"] = Math.Round(summary.Seconds, 2);
        result["steps_per_s"] = Math.Round(summary.StepsPerSecond, 3);
        return result;
    }
}
