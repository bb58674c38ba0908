using HeteroBpf.Cli;

return HbpfCli.Run(args, Console.In, Console.Out, Console.Error);
