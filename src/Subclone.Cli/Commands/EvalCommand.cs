using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Subclone.Checkpoints;
using Subclone.Data;
using Subclone.Data.Tokenizers;
using Subclone.Training;
using Subclone.Models.Families;

namespace Subclone.Cli.Commands;

/// <summary>
/// subclone eval MODEL --data PATH: next-token loss and perplexity on the validation split of the data. On a
/// directory written by train, the defaults are the run's own (data, tokenizer, windows), so the result is the
/// run's last val_loss.
/// </summary>
public static class EvalCommand
{
    public static Command Create(CliIo io)
    {
        var modelArg = new Argument<string>("MODEL") { Description = "A decoder or ViT: HF directory (e.g. a train --out), Hub id, or llama2.c .bin" };
        var data = new Option<string[]>("--data") { Description = "Text files or folders of .txt/.jsonl (default: the run's data, else the .NET SDK's XML API docs); for a ViT, labelled images (default: the run's validation images)", AllowMultipleArgumentsPerToken = true };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Tokenizer, if not the model's own" };
        var cache = new Option<string?>("--cache") { Description = "Token cache directory" };
        var seq = new Option<int?>("--seq") { Description = "Tokens per window (default: the run's, else min(256, the model's positions))" };
        var batch = new Option<int?>("--batch") { Description = "Windows per batch (default: the run's, else 8)" };
        var evalBatches = new Option<int?>("--eval-batches") { Description = "Batches of windows spread over the validation split (default: the run's, else 20)" };
        var json = new Option<bool>("--json") { Description = "Print {\"loss\":…,\"ppl\":…,\"tokens\":…}" };
        var command = new Command("eval", "Next-token loss and perplexity of a decoder on held-out text, or top-1 accuracy of a ViT on labelled images") { modelArg, data, tokenizer, cache, seq, batch, evalBatches, json };
        command.SetAction(r => io.Guard(() =>
        {
            string spec = r.GetValue(modelArg)!;
            var source = io.LoadModel(r, spec);
            var config = source.Model.Config;
            string statePath = Path.Combine(spec, TrainingState.FileName);
            var run = source.Directory is not null && File.Exists(statePath) ? TrainingState.Read(statePath) : null;
            if (config.Family.Kind == Subclone.Models.Families.FamilyKind.ImageClassifier)
                return EvalImages(io, source.Model, spec, r.GetValue(data), run, r.GetValue(json));
            if (!config.IsDecoder) throw new UserInputException($"{spec} is an encoder; eval measures next-token loss of decoders and accuracy of ViTs");

            ITextTokenizer tok = r.GetValue(tokenizer) is string t ? TokenizerResolver.Load(t, config.Vocab)
                : source.Tokenizer
                  ?? (run?.TokenizerSource is string ts && Path.Exists(ts) ? TokenizerResolver.Load(ts, config.Vocab) : null)
                  ?? throw new UserInputException($"{spec} has no tokenizer files; pass --tokenizer");
            TokenizerResolver.CheckFits(tok, config, spec);

            IReadOnlyList<string> paths = r.GetValue(data) is { Length: > 0 } given ? given
                : run is not null && !run.DataInputs.SequenceEqual([DefaultCorpus.Name]) ? run.DataInputs : [];
            int length = r.GetValue(seq) ?? run?.Options.SequenceLength ?? Math.Min(256, config.MaxPositions);
            int size = r.GetValue(batch) ?? run?.Options.BatchSize ?? 8;
            int batches = r.GetValue(evalBatches) ?? run?.Options.EvalBatches ?? 20;
            if (config.Family.LearnedPositions && length > config.MaxPositions)
                throw new UserInputException($"--seq {length} exceeds the model's n_positions ({config.MaxPositions})");

            using var tokens = TokenCache.Open(paths, tok, r.GetValue(cache), status: Progress.Status(io, r.GetValue(json)));
            var windows = new TokenBatcher(tokens, size, length, 0).ValidationSet(batches);
            double loss = Evaluation.LanguageModelLoss(source.Model, windows);
            long scored = (long)batches * size * length;
            if (r.GetValue(json))
                io.WriteJson(new JsonObject { ["loss"] = loss, ["ppl"] = Math.Exp(loss), ["tokens"] = scored });
            else
                io.Out.WriteLine(string.Format(CultureInfo.InvariantCulture, "loss {0:F4}  ppl {1:F2}  ({2:N0} validation tokens)", loss, Math.Exp(loss), scored));
            return 0;
        }));
        return command;
    }

    /// <summary>
    /// Top-1 accuracy of a ViT on labelled images: --data, else the run's own validation images (its --val-data,
    /// or the same seeded tenth of its --data it held out), so on a train directory it repeats the run's last val_error.
    /// </summary>
    static int EvalImages(CliIo io, Subclone.Models.TransformerModel model, string spec, string[]? data, TrainingState? run, bool json)
    {
        var transform = Subclone.Data.Images.ImageTransform.For(model.Config);
        if (data is { Length: > 1 }) throw new UserInputException("give --data one image source (an IDX images file or a folder per class)");
        string path = data is { Length: 1 } ? data[0]
            : run?.ValidationInput ?? run?.DataInputs.FirstOrDefault()
              ?? throw new UserInputException($"{spec} is an image model: give --data labelled images ({Subclone.Data.Images.ImageSources.Expected})");
        using var images = Subclone.Data.Images.ImageSources.Load(path, transform);
        bool heldOut = data is not { Length: 1 } && run?.ValidationInput is null;
        using var split = heldOut ? Subclone.Data.Images.ImageSplit.HoldOut(images, run!.Options.Seed) : null;
        var evaluated = split?.Validation ?? images;
        if (evaluated.Classes > model.Config.Labels)
            throw new UserInputException($"{path} has {evaluated.Classes} classes but the model has {model.Config.Labels} labels");
        var batches = evaluated.Batches(256, seed: 0, shuffle: false).Select(b => new Subclone.Cloning.CalibrationBatch(b.Pixels, null, b.Labels)).ToList();
        double accuracy = Evaluation.Accuracy(model, batches);
        foreach (var b in batches) { b.InputIds.Dispose(); b.Labels!.Dispose(); }
        if (json)
            io.WriteJson(new JsonObject { ["accuracy"] = accuracy, ["error"] = 1 - accuracy, ["images"] = evaluated.Count });
        else
            io.Out.WriteLine(string.Format(CultureInfo.InvariantCulture, "top-1 accuracy {0:P2}  error {1:F4}  ({2:N0} images{3})",
                accuracy, 1 - accuracy, evaluated.Count, heldOut ? ", the run's held-out tenth" : ""));
        return 0;
    }
}
