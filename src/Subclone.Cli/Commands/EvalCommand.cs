using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;
using Subclone.Checkpoints;
using Subclone.Data;
using Subclone.Data.Tokenizers;
using Subclone.Training;

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
        var modelArg = new Argument<string>("MODEL") { Description = "A decoder: HF directory (e.g. a train --out) or llama2.c .bin" };
        var data = new Option<string[]>("--data") { Description = "Text files or folders of .txt/.jsonl (default: the run's data, else the .NET SDK's XML API docs)", AllowMultipleArgumentsPerToken = true };
        var tokenizer = new Option<string?>("--tokenizer") { Description = "Tokenizer, if not the model's own" };
        var cache = new Option<string?>("--cache") { Description = "Token cache directory" };
        var seq = new Option<int?>("--seq") { Description = "Tokens per window (default: the run's, else min(256, the model's positions))" };
        var batch = new Option<int?>("--batch") { Description = "Windows per batch (default: the run's, else 8)" };
        var evalBatches = new Option<int?>("--eval-batches") { Description = "Batches of windows spread over the validation split (default: the run's, else 20)" };
        var json = new Option<bool>("--json") { Description = "Print {\"loss\":…,\"ppl\":…,\"tokens\":…}" };
        var command = new Command("eval", "Next-token loss and perplexity of a decoder on held-out text") { modelArg, data, tokenizer, cache, seq, batch, evalBatches, json };
        command.SetAction(r => io.Guard(() =>
        {
            string spec = r.GetValue(modelArg)!;
            var source = io.LoadModel(r, spec);
            var config = source.Model.Config;
            if (!config.IsDecoder) throw new UserInputException($"{spec} is an encoder; eval measures next-token loss of decoders");

            string statePath = Path.Combine(spec, TrainingState.FileName);
            var run = source.Directory is not null && File.Exists(statePath) ? TrainingState.Read(statePath) : null;
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
            if (config.Architecture == Subclone.Models.Architecture.Gpt2 && length > config.MaxPositions)
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
}
