#!/bin/bash
# What the corpus's ec2_instance app runs at boot: install and start a web server.
dnf -y install httpd
systemctl enable --now httpd
